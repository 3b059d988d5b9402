// See requests.h.
#include "requests.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace ssmc_run {

namespace {

using nlohmann::json;

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// An integer in [lo, hi] (JSON 3.0 is not one), else nullopt.
std::optional<int64_t> integer(const json &v, int64_t lo, int64_t hi) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u <= uint64_t(hi) && int64_t(u) >= lo)
      return int64_t(u);
  } else if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i >= lo && i <= hi)
      return i;
  }
  return std::nullopt;
}

std::optional<std::vector<int32_t>> ids(const json &v) {
  if (!v.is_array())
    return std::nullopt;
  std::vector<int32_t> out;
  for (const json &id : v) {
    std::optional<int64_t> i = integer(id, 0, INT32_MAX);
    if (!i)
      return std::nullopt;
    out.push_back(int32_t(*i));
  }
  return out;
}

// A request line (a JSON object) into `r`; "" or what is wrong with it.
std::string parseRequest(const std::string &line, Request &r) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return "not valid JSON (a request is one object per line)";
  if (!j.is_object())
    return "expected a JSON object";
  for (const auto &[key, value] : j.items()) {
    auto real = [&](RealSetting setting, std::optional<double> &to) {
      if (!value.is_number() || !std::isfinite(value.get<double>()) ||
          !realSettingOk(setting, value.get<double>()))
        return "\"" + key + "\": expected " + realSettingExpects(setting) + ", got " +
               value.dump();
      to = value.get<double>();
      return std::string();
    };
    auto whole = [&](int64_t hi, const std::string &expects, std::optional<int64_t> &to) {
      to = integer(value, 0, hi);
      return to ? std::string() : "\"" + key + "\": expected " + expects + ", got " + value.dump();
    };
    std::string bad;
    if (key == "tokens") {
      std::optional<std::vector<int32_t>> t = ids(value);
      if (!t || t->empty())
        return "\"tokens\": expected a non-empty array of non-negative integers, got " +
               value.dump();
      r.tokens = std::move(*t);
    } else if (key == "prompt") {
      if (!value.is_string() || value.get<std::string>().empty())
        return "\"prompt\": expected non-empty text, got " + value.dump();
      r.text = value.get<std::string>();
    } else if (key == "stop_tokens") {
      r.stopTokens = ids(value);
      if (!r.stopTokens)
        return "\"stop_tokens\": expected an array of non-negative integers, got " +
               value.dump();
    } else if (key == "temperature") {
      bad = real(RealSetting::Temperature, r.temperature);
    } else if (key == "top_p") {
      bad = real(RealSetting::TopP, r.topP);
    } else if (key == "min_p") {
      bad = real(RealSetting::MinP, r.minP);
    } else if (key == "repetition_penalty") {
      bad = real(RealSetting::RepetitionPenalty, r.repetitionPenalty);
    } else if (key == "top_k") {
      bad = whole(INT32_MAX, "a non-negative integer", r.topK);
    } else if (key == "max_new_tokens") {
      bad = whole(kMaxNewTokensLimit, kMaxNewTokensExpects, r.maxNewTokens);
    } else if (key == "seed") {
      std::optional<int64_t> seed;
      bad = whole(INT64_MAX, "a non-negative integer", seed);
      if (seed)
        r.seed = uint64_t(*seed);
    } else {
      return "unknown key \"" + key +
             "\" (expected tokens or prompt, temperature, top_k, top_p, min_p, "
             "repetition_penalty, seed, max_new_tokens, stop_tokens)";
    }
    if (!bad.empty())
      return bad;
  }
  if (r.text.has_value() == !r.tokens.empty())
    return "give the prompt once, as \"tokens\" or as \"prompt\"";
  return "";
}

} // namespace

bool Request::ownSettings() const {
  return temperature || topP || minP || repetitionPenalty || topK || maxNewTokens || seed ||
         stopTokens;
}

std::optional<std::vector<Request>> parseBatchFile(const std::string &text,
                                                   const std::string &path, std::string &error) {
  std::vector<Request> requests;
  size_t pos = 0;
  for (int line = 1; pos < text.size(); ++line) {
    size_t nl = text.find('\n', pos);
    std::string item = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (!item.empty() && item.back() == '\r')
      item.pop_back();
    item = trim(item);
    if (item.empty() || item[0] == '#')
      continue;
    Request r;
    r.line = line;
    std::string bad;
    if (item[0] == '{') {
      bad = parseRequest(item, r);
    } else if (auto row = parseTokenList(item, bad)) {
      r.tokens = std::move(*row);
    }
    if (!bad.empty()) {
      error = path + ":" + std::to_string(line) + ": " + bad;
      return std::nullopt;
    }
    requests.push_back(std::move(r));
  }
  if (requests.empty()) {
    error = path + ": no prompts (expected one per line: comma-separated token ids or a "
                   "JSON request)";
    return std::nullopt;
  }
  return requests;
}

Settings settingsFor(const Options &o, const Request *request, size_t index) {
  Settings s;
  s.temperature = o.temperature;
  s.topK = o.topK;
  s.topP = o.topP;
  s.minP = o.minP;
  s.repetitionPenalty = o.repetitionPenalty;
  s.seed = o.seed + uint64_t(index);
  s.stopTokens = o.stopTokens;
  s.maxNewTokens = o.maxNewTokens;
  if (!request)
    return s;
  const Request &r = *request;
  s.topK = r.topK.value_or(s.topK);
  s.topP = r.topP.value_or(s.topP);
  s.minP = r.minP.value_or(s.minP);
  s.repetitionPenalty = r.repetitionPenalty.value_or(s.repetitionPenalty);
  s.seed = r.seed.value_or(s.seed);
  s.stopTokens = r.stopTokens.value_or(s.stopTokens);
  s.maxNewTokens = r.maxNewTokens.value_or(s.maxNewTokens);
  if (r.temperature)
    s.temperature = *r.temperature;
  else if ((r.topK || r.topP || r.minP) && s.temperature == 0)
    s.temperature = 1.0; // a filter means sampling, as on the command line
  return s;
}

} // namespace ssmc_run
