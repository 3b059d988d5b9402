// The prompts of a --batch-file, each with the settings it gives itself.
//
// A line is either a comma-separated token list or a JSON object, a request:
//   {"tokens": [1, 2, 3]} or {"prompt": "text"} (the model's tokenizer),
//   and any of "temperature", "top_k", "top_p", "min_p",
//   "repetition_penalty", "seed", "max_new_tokens", "stop_tokens".
// What a request leaves out it takes from the command line; prompt i's seed
// is the command line's S + i unless it names its own. Blank lines and
// lines starting with '#' are skipped.
#ifndef SSMC_RUN_REQUESTS_H
#define SSMC_RUN_REQUESTS_H

#include "args.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ssmc_run {

struct Request {
  int line = 0;                    // in the file, from 1
  std::vector<int32_t> tokens;     // a token line or "tokens"
  std::optional<std::string> text; // "prompt": text to tokenize instead
  std::optional<double> temperature, topP, minP, repetitionPenalty;
  std::optional<int64_t> topK, maxNewTokens;
  std::optional<uint64_t> seed;
  std::optional<std::vector<int32_t>> stopTokens;

  // Sets anything of its own beyond the prompt.
  bool ownSettings() const;
};

// Errors name the file and line.
std::optional<std::vector<Request>> parseBatchFile(const std::string &text,
                                                   const std::string &path, std::string &error);

// What prompt `index` generates with: the command line's settings, those
// of its request (null: none) over them. As on the command line, a filter
// without a temperature samples at temperature 1 when the rest is greedy.
struct Settings {
  double temperature = 0.0;
  int64_t topK = 0;
  double topP = 1.0, minP = 0.0, repetitionPenalty = 1.0;
  uint64_t seed = 0;
  std::vector<int32_t> stopTokens;
  int64_t maxNewTokens = 0;
};
Settings settingsFor(const Options &o, const Request *request, size_t index);

} // namespace ssmc_run

#endif // SSMC_RUN_REQUESTS_H
