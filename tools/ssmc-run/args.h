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
  int64_t maxNewTokens = 16;
  std::string dumpLogits;
  int threads = 0;
  bool verify = true;
  bool help = false;
};

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
