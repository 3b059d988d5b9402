#ifndef SSMC_TOOLS_SSMC_COMPILE_WEIGHTPACKER_H
#define SSMC_TOOLS_SSMC_COMPILE_WEIGHTPACKER_H

// Turns the schedule's weight list into the artifact's weight table: data in
// the `weights` section (transforms such as A = -exp(A_log) applied in f32,
// then stored in the chosen dtype), or references into the source
// safetensors. The kernels always read f32; f16/bf16-stored weights are
// widened by the runtime at load (manifest "storage").

#include "frontend/WeightStore.h"
#include "ssmc/artifact.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace ssmc::compile {

struct PackedWeights {
  nlohmann::json table = nlohmann::json::array(); // manifest "weights"
  // The "weights" payload, converted while it is written (never held in
  // memory whole); reads the store, which must outlive it.
  uint64_t sectionSize = 0;
  ArtifactWriter::Producer writeSection;
};

// How weights are stored: all f32; matrices (rank >= 2, untransformed) in
// f16 or bf16 with vectors and transformed tensors f32; or `Auto`, each
// untransformed tensor in its checkpoint dtype (lossless), the rest f32.
enum class StorageDType { F32, F16, BF16, Auto };

// `scheduleWeights` is the list ssm-build-cpu-schedule produced ({key, name,
// shape, transform?}). With `external`, untransformed tensors stored in
// their checkpoint dtype are referenced in place. Throws frontend::ImportError
// on a missing tensor or an element-count mismatch.
PackedWeights packWeights(const nlohmann::json &scheduleWeights,
                          const frontend::WeightStore &store, bool external,
                          StorageDType storage = StorageDType::F32);

} // namespace ssmc::compile

#endif
