// Perplexity by teacher forcing: the windows a token sequence is cut into and
// the negative log-likelihood of each window's next-token predictions.
#ifndef SSMC_RUN_PERPLEXITY_H
#define SSMC_RUN_PERPLEXITY_H

#include <cstdint>
#include <string>
#include <vector>

namespace ssmc_run {

struct Window {
  int64_t start = 0, length = 0;
};

// Windows of at most `context` (>= 2) tokens over n tokens. Consecutive
// windows overlap by one token, so every token but the first is predicted
// exactly once (by a window that starts from an empty state). n < 2: none.
std::vector<Window> perplexityWindows(int64_t n, int64_t context);

struct PerplexityTotals {
  double nllNats = 0;    // sum of -log p(token | context), natural log
  int64_t predicted = 0; // tokens scored

  double perplexity() const;                   // exp(nll / predicted)
  double bitsPerToken() const;                 // nll / predicted / ln 2
  double bitsPerByte(uint64_t textBytes) const; // nll / ln 2 / bytes
};

// Adds the predictions of one window: logits [length, rowStride] (row t is
// the model's output after tokens[0..t]); row t scores tokens[t + 1] with a
// log-softmax in double over the first `vocab` entries only (padded ids are
// not part of the distribution). Returns false and sets `error` when a row
// has a NaN or no finite logit.
bool addWindowNll(const float *logits, int64_t rowStride, int64_t vocab,
                  const int32_t *tokens, int64_t length, PerplexityTotals &totals,
                  std::string &error);

// Ids separated by commas and/or whitespace (a --perplexity-tokens file).
// Errors name the path and the byte offset of the bad item.
bool parseTokenFile(const std::string &text, const std::string &path,
                    std::vector<int32_t> &ids, std::string &error);

} // namespace ssmc_run

#endif // SSMC_RUN_PERPLEXITY_H
