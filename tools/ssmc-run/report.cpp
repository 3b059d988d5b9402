// Formatting of ssmc-run's results (plain lines or one JSON object).
#include "report.h"

#include <cstdio>

namespace ssmc_run {

namespace {

std::string ids(const std::vector<int32_t> &v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

std::string quote(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string ms(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string sampling(const Settings &p) {
  return "{\"temperature\": " + num(p.temperature) + ", \"top_k\": " + std::to_string(p.topK) +
         ", \"top_p\": " + num(p.topP) + ", \"min_p\": " + num(p.minP) +
         ", \"repetition_penalty\": " + num(p.repetitionPenalty) +
         ", \"seed\": " + std::to_string(p.seed) + ", \"stop_tokens\": [" + ids(p.stopTokens) +
         "], \"max_new_tokens\": " + std::to_string(p.maxNewTokens) + "}";
}

} // namespace

std::string jsonString(const std::string &s) { return quote(s); }

std::string textReport(const std::vector<SequenceResult> &seqs) {
  std::string s;
  for (const SequenceResult &r : seqs)
    s += ids(r.tokens) + "\n";
  return s;
}

std::string jsonReport(const Options &o, const std::vector<SequenceResult> &seqs,
                       const Timings &t) {
  std::string s = "{\n  \"model\": " + quote(o.model) + ",\n  \"device\": " + quote(o.device) + ",\n";
  s += "  \"sampling\": " + sampling(settingsFor(o, nullptr, 0)) + ",\n";
  s += "  \"sequences\": [";
  for (size_t i = 0; i < seqs.size(); ++i) {
    s += std::string(i ? ",\n    " : "\n    ") + "{\"prompt_length\": " +
         std::to_string(seqs[i].promptLength) + ", \"tokens\": [" + ids(seqs[i].tokens) +
         "], \"finish_reason\": \"" + (seqs[i].stopped ? "stop" : "length") + "\"";
    if (seqs[i].own)
      s += ", \"sampling\": " + sampling(*seqs[i].own);
    s += "}";
  }
  s += "\n  ],\n";
  double tps = t.decodeMs > 0 ? t.decodeTokens / (t.decodeMs / 1000.0) : 0.0;
  s += "  \"timings\": {\"prefill_ms\": " + ms(t.prefillMs) + ", \"decode_ms\": " +
       ms(t.decodeMs) + ", \"decode_tokens\": " + std::to_string(t.decodeTokens) +
       ", \"decode_tokens_per_s\": " + ms(tps) + ", \"decode_rows\": " +
       std::to_string(t.decodeRows) + ", \"moves\": " + std::to_string(t.moves) +
       ", \"sessions\": " + std::to_string(t.groups) + "}\n}\n";
  return s;
}

} // namespace ssmc_run
