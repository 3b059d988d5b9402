// Continuous batching for ssmc-run: many prompts through a fixed number of
// batch slots; a slot whose sequence finishes takes the next prompt while
// the others keep decoding (ssmc_prefill_sequence), so prompts of any
// lengths share one session and no step is spent on padding.
#ifndef SSMC_RUN_CONTINUOUS_H
#define SSMC_RUN_CONTINUOUS_H

#include "args.h"
#include "report.h"
#include "requests.h"

#include "ssmc/runtime.h"

#include <cstdint>
#include <vector>

namespace ssmc_run {

// `s` as the runtime's sampler parameters (temperature, filters, penalty,
// seed, stop tokens, max new tokens); the pointers point into `s`.
ssmc_sampler_params samplerParams(const Settings &s);

// Generates for every prompt with `slots` sequences at a time, prompt i
// with settings[i] (its sampling, seed, stop tokens and max new tokens:
// exactly what it would generate alone with them). Fills results[i] per
// prompt and adds to `t`. Returns the first failing status (its message in
// ssmc_last_error()).
ssmc_status runContinuous(ssmc_model *model, const std::vector<std::vector<int32_t>> &prompts,
                          const std::vector<Settings> &settings, int64_t slots,
                          std::vector<SequenceResult> &results, Timings &t);

} // namespace ssmc_run

#endif // SSMC_RUN_CONTINUOUS_H
