#ifndef SSMC_TOOLS_SSMC_COMPILE_WEIGHTPACKER_H
#define SSMC_TOOLS_SSMC_COMPILE_WEIGHTPACKER_H

// Turns the schedule's weight list into the artifact's weight table: f32 data
// (converted from f16/bf16, transforms such as A = -exp(A_log) applied) in
// the `weights` section, or references into the source safetensors.

#include "frontend/WeightStore.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace ssmc::compile {

struct PackedWeights {
  nlohmann::json table = nlohmann::json::array(); // manifest "weights"
  std::vector<uint8_t> section;                   // "weights" payload
};

// `scheduleWeights` is the list ssm-build-cpu-schedule produced ({key, name,
// shape, transform?}). With `external`, untransformed f32 tensors are
// referenced in place. Throws frontend::ImportError on a missing tensor or an
// element-count mismatch.
PackedWeights packWeights(const nlohmann::json &scheduleWeights,
                          const frontend::WeightStore &store, bool external);

} // namespace ssmc::compile

#endif
