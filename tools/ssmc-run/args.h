// Command line of ssmc-run: hand-rolled (the runtime side has no LLVM).
#ifndef SSMC_RUN_ARGS_H
#define SSMC_RUN_ARGS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ssmc_run {

struct Options {
  std::string model;
  std::vector<std::vector<int32_t>> prompts; // one row per sequence
  std::string batchFile;                     // prompts come from this file instead
  std::string promptText;                    // --prompt: text for the model's tokenizer
  // Modes other than one generation run (at most one of them).
  std::string perplexityText;   // --perplexity FILE: score a text file
  std::string perplexityTokens; // --perplexity-tokens FILE: score comma-separated ids
  int64_t context = 1024;       // --context: perplexity window, tokens
  bool contextSet = false;
  bool interactive = false;     // --interactive: prompts from stdin, one turn per line
  bool resetEachTurn = false;   // --reset-each-turn: turns do not share state
  int64_t maxNewTokens = 16;
  int64_t maxBatch = 0; // --max-batch: batch slots (0: one per prompt)
  std::string dumpLogits;
  int threads = 0;
  bool verify = true;
  bool help = false;
  bool json = false;
  std::string device = "auto";
  // Sampling. Greedy unless --temperature > 0 (or a top-k/top-p/min-p flag
  // without --temperature, which means temperature 1).
  double temperature = 0.0;
  int64_t topK = 0;
  double topP = 1.0;
  double minP = 0.0;
  double repetitionPenalty = 1.0;
  uint64_t seed = 0;
  std::vector<int32_t> stopTokens;
};

// The ranges of the sampling settings, shared by the flags and the
// requests of a --batch-file (requests.h).
enum class RealSetting { Temperature, TopP, MinP, RepetitionPenalty };
bool realSettingOk(RealSetting setting, double v);
// What the setting takes: "a number in (0, 1]".
const char *realSettingExpects(RealSetting setting);
constexpr int64_t kMaxNewTokensLimit = int64_t(1) << 30;
// What --max-new-tokens and a request's max_new_tokens take.
constexpr const char *kMaxNewTokensExpects = "an integer in [0, 1073741824]";
static_assert(kMaxNewTokensLimit == 1073741824, "kMaxNewTokensExpects names the limit");

// Returns nullopt and sets `error` for a usage error.
std::optional<Options> parseArgs(int argc, char **argv, std::string &error);
// "1,2,3" -> {1,2,3}; ids must be non-negative int32.
std::optional<std::vector<int32_t>> parseTokenList(const std::string &text,
                                                   std::string &error);
// "1,2;3,4" -> {{1,2},{3,4}}; rows must have equal length.
std::optional<std::vector<std::vector<int32_t>>>
parseBatchTokens(const std::string &text, std::string &error);

extern const char *kUsage;

} // namespace ssmc_run

#endif // SSMC_RUN_ARGS_H
