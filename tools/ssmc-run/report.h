// ssmc-run output: the plain token lines and the --json document.
#ifndef SSMC_RUN_REPORT_H
#define SSMC_RUN_REPORT_H

#include "args.h"
#include "requests.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ssmc_run {

struct SequenceResult {
  size_t promptLength = 0;
  std::vector<int32_t> tokens;
  bool stopped = false; // ended on a stop token (else: max_new_tokens)
  // What it generated with, when its --batch-file request set any of it.
  std::optional<Settings> own;
};

struct Timings {
  double prefillMs = 0;     // prefill + first sample, summed over groups
  double decodeMs = 0;      // the remaining steps
  int64_t decodeTokens = 0; // tokens produced by those steps (all sequences)
  int64_t decodeRows = 0;   // rows those steps decoded (live, finished or idle)
  int64_t moves = 0;        // sequences moved down into idle slots (continuous)
  int64_t groups = 0;       // sessions run (one per prompt length)
};

// s as a JSON string literal (quotes, escapes).
std::string jsonString(const std::string &s);

// One line per sequence: the ids separated by commas.
std::string textReport(const std::vector<SequenceResult> &seqs);
// {"model", "device", "sampling", "sequences": [{prompt_length, tokens,
// finish_reason[, sampling]}], "timings": {prefill_ms, decode_ms, decode_tokens,
// decode_tokens_per_s, decode_rows, moves, sessions}}
std::string jsonReport(const Options &o, const std::vector<SequenceResult> &seqs,
                       const Timings &t);

} // namespace ssmc_run

#endif // SSMC_RUN_REPORT_H
