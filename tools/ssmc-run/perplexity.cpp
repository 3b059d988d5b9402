// Perplexity math for ssmc-run --perplexity (see perplexity.h).
#include "perplexity.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace ssmc_run {

std::vector<Window> perplexityWindows(int64_t n, int64_t context) {
  std::vector<Window> out;
  if (n < 2 || context < 2)
    return out;
  // Each window scores length - 1 tokens; the next one starts on the last
  // token of this one, which is its (unscored) first input.
  for (int64_t start = 0; start + 1 < n; start += context - 1)
    out.push_back({start, std::min(context, n - start)});
  return out;
}

double PerplexityTotals::perplexity() const {
  return predicted ? std::exp(nllNats / double(predicted)) : 0.0;
}

double PerplexityTotals::bitsPerToken() const {
  return predicted ? nllNats / double(predicted) / std::log(2.0) : 0.0;
}

double PerplexityTotals::bitsPerByte(uint64_t textBytes) const {
  return textBytes ? nllNats / std::log(2.0) / double(textBytes) : 0.0;
}

bool addWindowNll(const float *logits, int64_t rowStride, int64_t vocab,
                  const int32_t *tokens, int64_t length, PerplexityTotals &totals,
                  std::string &error) {
  for (int64_t t = 0; t + 1 < length; ++t) {
    const float *row = logits + t * rowStride;
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t v = 0; v < vocab; ++v) {
      if (std::isnan(row[v])) {
        error = "the logits at position " + std::to_string(t) + " contain NaN";
        return false;
      }
      mx = std::max(mx, double(row[v]));
    }
    if (!std::isfinite(mx)) {
      error = "the logits at position " + std::to_string(t) + " have no finite maximum";
      return false;
    }
    // log-softmax, shifted by the max so exp never overflows.
    double sum = 0;
    for (int64_t v = 0; v < vocab; ++v)
      sum += std::exp(double(row[v]) - mx);
    double logp = double(row[tokens[t + 1]]) - mx - std::log(sum);
    totals.nllNats -= logp;
    totals.predicted += 1;
  }
  return true;
}

bool parseTokenFile(const std::string &text, const std::string &path,
                    std::vector<int32_t> &ids, std::string &error) {
  ids.clear();
  size_t i = 0;
  auto isSep = [](char c) { return c == ',' || std::isspace(static_cast<unsigned char>(c)); };
  while (i < text.size()) {
    if (isSep(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && !isSep(text[i]))
      ++i;
    std::string item = text.substr(start, i - start);
    bool digits = item.size() <= 10 &&
                  std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; });
    long long v = digits ? std::stoll(item) : -1;
    if (!digits || v > std::numeric_limits<int32_t>::max()) {
      error = path + ": byte " + std::to_string(start) + ": bad token id \"" +
              item.substr(0, 32) + "\" (expected non-negative integers separated by commas)";
      return false;
    }
    ids.push_back(static_cast<int32_t>(v));
  }
  return true;
}

} // namespace ssmc_run
