// A loaded model: the validated artifact, its manifest, the backend with the
// kernel image loaded, and a pointer for every weight. Immutable once loaded,
// so any number of sessions may share it.
#ifndef SSMC_SRC_MODEL_H
#define SSMC_SRC_MODEL_H

#include "backend.h"
#include "mapped_file.h"
#include "manifest.h"
#include "tokenizer/tokenizer.h"

#include "ssmc/artifact.h"

#include <memory>
#include <string>
#include <vector>

namespace ssmc {

enum class Device { Auto, Cpu, Cuda };

struct LoadOptions {
  bool verifyChecksums = true; // payload and external-weight checksums
  int numThreads = 0;
  // Auto: cuda when the artifact has a cuda image and a GPU is usable, else cpu.
  Device device = Device::Auto;
  int cudaDevice = 0;
};

class Model {
public:
  // Throws RuntimeError naming the file and the problem.
  static std::shared_ptr<Model> load(const std::string &path,
                                     const LoadOptions &options);

  const std::string &path() const { return artifact_->path(); }
  const Manifest &manifest() const { return manifest_; }
  Backend &backend() const { return *backend_; }
  // The target the model runs on: "cpu" or "cuda".
  const char *target() const { return backend_->name(); }
  // Weight `index` as the backend's f32 copy; null when it keeps none
  // (GemmWeights::f32 false for a weight only gemm steps read).
  const void *weight(int index) const { return weights_[static_cast<size_t>(index)]; }
  // Weight `index` in bf16, when the backend keeps such a copy
  // (Backend::gemmWeights); else null.
  const uint16_t *bf16Weight(int index) const {
    return static_cast<const uint16_t *>(bf16_[static_cast<size_t>(index)]);
  }
  // The artifact's tokenizer, or null when it carries none.
  const Tokenizer *tokenizer() const { return tokenizer_.get(); }

private:
  Model() = default;
  void selectBackend(const LoadOptions &options);
  void resolveWeights(const LoadOptions &options);
  // The backend's resident copy of weight `w` from its stored bytes.
  const void *resident(const WeightDesc &w, const uint8_t *stored);
  // The same in bf16: the stored bytes, or the values rounded.
  const void *residentBf16(const WeightDesc &w, const uint8_t *stored);
  // How the steps use each weight, by index.
  struct WeightUse {
    bool multiplied = false; // a gemm step's b
    bool otherwise = false;  // any other operand (kernel argument, a, c, bias)
  };
  std::vector<WeightUse> weightUses() const;
  void loadTokenizer();

  std::unique_ptr<Artifact> artifact_;
  Manifest manifest_;
  std::unique_ptr<Backend> backend_;
  std::vector<std::unique_ptr<MappedFile>> externalFiles_;
  std::vector<const void *> weights_;
  std::vector<const void *> bf16_; // by weight; null where not kept
  std::vector<std::vector<float>> widened_; // f16/bf16-stored weights, as f32
  std::unique_ptr<Tokenizer> tokenizer_;
};

} // namespace ssmc

#endif // SSMC_SRC_MODEL_H
