// Model::load: artifact -> manifest -> backend -> weights -> dry bind.
#include "model.h"

#include "bind.h"

#include "ssmc/error.h"
#include "ssmc/float16.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>

namespace ssmc {

std::shared_ptr<Model> Model::load(const std::string &path,
                                   const LoadOptions &options) {
  std::shared_ptr<Model> m(new Model());
  ArtifactReadOptions ro;
  ro.verifyPayloadChecksums = options.verifyChecksums;
  m->artifact_ = Artifact::open(path, ro);
  m->manifest_ = parseManifest(*m->artifact_);
  const Manifest &mf = m->manifest_;

  m->selectBackend(options);
  m->resolveWeights(options);
  m->loadTokenizer();
  auto image = mf.kernels.find(m->backend_->name());
  if (image != mf.kernels.end())
    m->backend_->loadKernels(*m->artifact_, image->second, path);

  // Bind once with B = L = 1 so bad views surface at load, not mid-session.
  Bindings one{1, 1};
  if (mf.prefill)
    bindEntry(mf, *mf.prefill, one, path);
  if (mf.decode)
    bindEntry(mf, *mf.decode, one, path);
  return m;
}

void Model::selectBackend(const LoadOptions &options) {
  const Manifest &mf = manifest_;
  auto targets = [&] {
    std::string list;
    for (const std::string &t : mf.targets)
      list += (list.empty() ? "" : ", ") + t;
    return "[" + list + "]";
  };
  auto has = [&](const char *t) {
    return std::find(mf.targets.begin(), mf.targets.end(), t) != mf.targets.end();
  };
  BackendOptions bo;
  bo.numThreads = options.numThreads;
  bo.cudaDevice = options.cudaDevice;
  Device device = options.device;
  if (device == Device::Auto)
    device = has("cuda") && cudaAvailable() ? Device::Cuda : Device::Cpu;
  const char *want = device == Device::Cuda ? "cuda" : "cpu";
  if (!has(want))
    throw RuntimeError(ErrorCode::Unsupported,
                       path() + ": artifact was compiled for " + targets() +
                           ", not for the " + want + " target");
  backend_ = device == Device::Cuda ? createCudaBackend(bo) : createCpuBackend(bo);
}

// Parsed at load so a bad tokenizer.json fails here, naming the section.
void Model::loadTokenizer() {
  if (!manifest_.tokenizer)
    return;
  const TokenizerDesc &t = *manifest_.tokenizer;
  const int64_t vocab = manifest_.model.vocabSize;
  if (t.kind == "byte") {
    tokenizer_ = makeByteTokenizer(static_cast<int32_t>(std::min<int64_t>(vocab, INT32_MAX) - 256));
    return;
  }
  const ArtifactSection *s = artifact_->find(t.section);
  const std::string where = path() + ": section '" + t.section + "'";
  tokenizer_ = loadHfTokenizer(
      std::string_view(reinterpret_cast<const char *>(s->data), s->size), where);
  // Every id the tokenizer can produce must be one the model accepts.
  if (tokenizer_->idLimit() > vocab)
    throw RuntimeError(ErrorCode::BadArtifact,
                       where + ": the tokenizer has ids up to " +
                           std::to_string(tokenizer_->idLimit() - 1) +
                           " but the model's vocab_size is " + std::to_string(vocab));
}

std::vector<Model::WeightUse> Model::weightUses() const {
  std::vector<WeightUse> uses(manifest_.weights.size());
  auto other = [&](const ViewDesc &v) {
    if (v.weight >= 0)
      uses[static_cast<size_t>(v.weight)].otherwise = true;
  };
  for (const auto *ep : {&manifest_.prefill, &manifest_.decode})
    if (*ep)
      for (const StepDesc &s : (*ep)->steps) {
        if (s.op == StepDesc::Op::Kernel) {
          for (const ViewDesc &v : s.args)
            other(v);
          continue;
        }
        if (s.b.weight >= 0)
          uses[static_cast<size_t>(s.b.weight)].multiplied = true;
        other(s.a);
        other(s.c);
        if (s.bias)
          other(*s.bias);
      }
  return uses;
}

void Model::resolveWeights(const LoadOptions &options) {
  const std::string &p = path();
  std::map<std::string, MappedFile *> files;
  auto image = manifest_.kernels.find(backend_->name());
  const std::vector<WeightUse> uses = weightUses();
  auto keep = [&](const WeightDesc &w, const uint8_t *stored) {
    const WeightUse use = uses[weights_.size()];
    GemmWeights copies;
    if (use.multiplied && image != manifest_.kernels.end())
      copies = backend_->gemmWeights(image->second, w.shape.empty() ? 1 : w.shape[0]);
    const bool bf16 = use.multiplied && w.dtype == DType::F32 &&
                      (copies.bf16 || (copies.storedBf16 && w.storage == DType::BF16));
    bf16_.push_back(bf16 ? residentBf16(w, stored) : nullptr);
    const bool f32 = !bf16 || copies.f32 || use.otherwise;
    weights_.push_back(f32 ? resident(w, stored) : nullptr);
  };
  for (const WeightDesc &w : manifest_.weights) {
    const std::string what = p + ": weight \"" + w.name + "\"";
    if (!backend_->supportsWeightDType(w.dtype))
      throw RuntimeError(ErrorCode::Unsupported,
                         what + ": dtype " + dtypeName(w.dtype) +
                             " is not supported by the " + backend_->name() +
                             " backend (f32 only)");
    if (!w.external()) {
      keep(w, artifact_->find(w.section)->data + w.offset);
      continue;
    }
    MappedFile *&f = files[w.file];
    if (!f) {
      try {
        externalFiles_.push_back(std::make_unique<MappedFile>(w.file));
      } catch (const RuntimeError &e) {
        throw RuntimeError(e.code(), what + ": external weight file " + e.what());
      }
      f = externalFiles_.back().get();
    }
    if (w.offset > f->size() || w.nbytes > f->size() - w.offset)
      throw RuntimeError(ErrorCode::BadArtifact,
                         what + ": bytes [" + std::to_string(w.offset) + ", +" +
                             std::to_string(w.nbytes) + ") lie outside " +
                             w.file + " (" + std::to_string(f->size()) + " bytes)");
    if (w.offset % static_cast<uint64_t>(dtypeSize(w.storage)) != 0)
      throw RuntimeError(ErrorCode::BadArtifact,
                         what + ": offset " + std::to_string(w.offset) + " in " +
                             w.file + " is not aligned to its element size");
    const uint8_t *data = f->data() + w.offset;
    if (options.verifyChecksums) {
      uint64_t h = fnv1a64(data, w.nbytes);
      if (h != w.checksum)
        throw RuntimeError(ErrorCode::BadArtifact,
                           what + ": checksum of " + w.file + " bytes is " +
                               checksumToHex(h) + ", manifest says " +
                               checksumToHex(w.checksum) +
                               " (file changed since compilation?)");
    }
    keep(w, data);
  }
}

const void *Model::residentBf16(const WeightDesc &w, const uint8_t *stored) {
  if (w.storage == DType::BF16)
    return backend_->residentWeight(stored, static_cast<size_t>(w.nbytes));
  // Rounded from the f32 (or f16) values, once, here.
  std::vector<float> wide;
  const float *values = reinterpret_cast<const float *>(stored);
  if (w.storage == DType::F16) {
    wide.resize(static_cast<size_t>(w.numel));
    halfsToFloats(stored, wide.size(), wide.data());
    values = wide.data();
  }
  std::vector<uint16_t> narrow(static_cast<size_t>(w.numel));
  for (size_t i = 0; i < narrow.size(); ++i) {
    float v;
    std::memcpy(&v, values + i, sizeof v); // stored bytes may be unaligned
    narrow[i] = floatToBfloat16(v);
  }
  return backend_->residentCopy(narrow.data(), narrow.size() * sizeof(uint16_t));
}

const void *Model::resident(const WeightDesc &w, const uint8_t *stored) {
  if (w.storage == w.dtype)
    return backend_->residentWeight(stored, static_cast<size_t>(w.nbytes));
  // f16/bf16 storage of an f32 weight: widened once, here.
  std::vector<float> wide(static_cast<size_t>(w.numel));
  if (w.storage == DType::F16)
    halfsToFloats(stored, wide.size(), wide.data());
  else
    bfloat16sToFloats(stored, wide.size(), wide.data());
  const void *p = backend_->residentCopy(wide.data(), wide.size() * sizeof(float));
  // A host-addressable backend keeps pointing at the widened copy.
  if (p == wide.data())
    widened_.push_back(std::move(wide));
  return p;
}

} // namespace ssmc
