#ifndef SSMC_FRONTEND_CONFIGIMPORT_H
#define SSMC_FRONTEND_CONFIGIMPORT_H

// Imports a checkpoint directory (config.json + safetensors) in one of three
// dialects: Hugging Face MambaForCausalLM, Mamba2ForCausalLM, or the reference
// repository's own config (d_model, n_layer, ssm_cfg). See SEMANTICS.md.

#include "frontend/ModelGraph.h"
#include "frontend/WeightStore.h"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace ssmc::frontend {

enum class ConfigDialect { HFMamba, HFMamba2, Reference };

// Which dialect a parsed config.json is in; `file` labels the error when it
// matches none.
ConfigDialect detectConfigDialect(const nlohmann::json &config,
                                  const std::string &file);

// Reads dir/config.json, opens the weights into `store` (replacing its
// contents) and returns the graph with every tensor checked for presence and
// shape. Throws ImportError naming the file at fault.
ModelGraph importCheckpoint(const std::string &dir, WeightStore &store);

} // namespace ssmc::frontend

#endif
