#ifndef SSMC_FRONTEND_MODELGRAPH_H
#define SSMC_FRONTEND_MODELGRAPH_H

// The model description every importer produces and the IR builder consumes.
// It is the in-memory form of the JSON graph format (docs/graph-format.md):
// the Hugging Face and reference-repository importers translate their
// config.json into it. No MLIR here.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ssmc::frontend {

// Every import problem: `file` is the file at fault, `what()` the problem.
class ImportError : public std::runtime_error {
public:
  ImportError(std::string file, const std::string &message)
      : std::runtime_error(message), file_(std::move(file)) {}
  const std::string &file() const { return file_; }

private:
  std::string file_;
};

enum class DType { F32, F16, BF16 };

enum class MixerKind { Mamba1, Mamba2 };

// One residual block: residual += mixer(norm(residual)).
struct LayerSpec {
  MixerKind kind = MixerKind::Mamba1;
  int64_t d_inner = 0;  // e: width of x and z (Mamba-2: d_ssm = H * P)
  int64_t d_state = 0;  // N
  int64_t d_conv = 4;   // W
  int64_t dt_rank = 0;  // R (Mamba-1)
  int64_t n_heads = 0;  // H (Mamba-2)
  int64_t head_dim = 0; // P (Mamba-2)
  int64_t n_groups = 1; // G (Mamba-2; Mamba-1 is always 1)
  int64_t chunk_size = 256;
  float dt_min = 0.0f;  // time_step_limit clamp (Mamba-2), 0..inf = none
  float dt_max = std::numeric_limits<float>::infinity();
  float norm_eps = 1e-5f; // eps of the block norm and Mamba-2's gated norm
  bool norm_before_gate = false;
  // Tensor names in the weight store, by role. Required roles:
  //   Mamba-1: norm, in_proj, conv_weight, x_proj, dt_proj_weight, dt_proj_bias,
  //            A_log, D, out_proj
  //   Mamba-2: norm, in_proj, conv_weight, dt_bias, A_log, D, gated_norm, out_proj
  // Optional: conv_bias, in_proj_bias, out_proj_bias.
  std::map<std::string, std::string> weights;
};

struct ModelGraph {
  std::string source;          // the config or graph file it came from
  int64_t d_model = 0;
  int64_t vocab_size = 0;      // real vocabulary: ids in [0, vocab_size)
  int64_t padded_vocab_size = 0; // rows of the embedding / lm_head
  float norm_eps = 1e-5f;      // final norm
  bool residual_in_fp32 = true;
  DType dtype = DType::F32;    // dtype of the checkpoint's weights
  std::string embedding;       // [padded_vocab, d_model]
  std::string final_norm;      // [d_model]
  std::string lm_head;         // [padded_vocab, d_model]; == embedding when tied
  std::vector<LayerSpec> layers;
  // The safetensors files holding the weights, relative to the directory of
  // `source` (absolute paths allowed). Added by the frontend importers.
  std::vector<std::string> weight_files;
};

} // namespace ssmc::frontend

#endif
