// Generation on a session: prefill (optional), then sample / decode until
// every sequence hits a stop token or max_new_tokens.
#ifndef SSMC_SRC_GENERATE_H
#define SSMC_SRC_GENERATE_H

#include "sampling.h"
#include "session.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace ssmc {

// Samples one id per sequence from the last position of the session's
// current logits (real vocabulary only).
void sampleFromSession(const Session &s, Sampler &sampler, int32_t *out);

struct GenerateOptions {
  int64_t maxNewTokens = 16;
  std::vector<int32_t> stopTokens; // a sequence ends after emitting one
};

// Called once per step with tokens[batch]; -1 marks a sequence that had
// already finished. Return false to stop every sequence.
using StepCallback = std::function<bool(int64_t step, const int32_t *tokens)>;

// prompt [batch, length]; length 0 means "continue from the session's
// current logits". out [batch, maxNewTokens] (padding -1) and counts [batch]
// may be null. The last emitted token is not decoded (as in ssmc-run).
void generate(Session &s, Sampler &sampler, const int32_t *prompt, int64_t length,
              const GenerateOptions &opts, int32_t *out, int64_t *counts,
              const StepCallback &onStep);

} // namespace ssmc

#endif // SSMC_SRC_GENERATE_H
