// Session: binds entry points for (B, L), owns state and temp buffers, and
// interprets the steps against the backend.
#include "session.h"

#include "arena.h"
#include "bind.h"
#include "device_sampler.h"

#include "ssmc/error.h"

#include <cstdlib>
#include <iterator>
#include <map>

namespace ssmc {

namespace {
// How many plans to keep, each with its temp buffers: prefill plans (one per
// length; their temps grow with it), and decode plans (one per row count:
// small temps, and on cuda a graph each; a draining continuous batch steps
// through several row counts, ssmc-run through power-of-two buckets).
constexpr size_t kMaxPrefillPlans = 4;
constexpr size_t kMaxDecodePlans = 8;
} // namespace

struct Session::Plan {
  const EntryPoint *ep = nullptr;
  int64_t length = 0;
  int64_t batch = 0; // rows it runs: the session's, or fewer (Session::decode)
  BoundEntry bound;
  std::vector<void *> buffers; // per entry buffer
  std::vector<void *> owned;   // what this plan allocated
  std::vector<std::unique_ptr<PreparedKernel>> kernels; // per kernel step, then fused
  std::vector<GemmCall> gemms;                          // per gemm step
  // What runs, in order: a kernel or a gemm of the above, standing for
  // steps [first, last] (several where a fused kernel replaces them).
  struct Action {
    bool gemm = false;
    size_t index = 0;
    int first = 0, last = 0;
  };
  std::vector<Action> actions;
  // The steps as one replayable recording (CUDA graph), made on the second
  // run of the plan: a plan run once (a prompt) is not worth recording.
  std::unique_ptr<Recording> recording;
  int runs = 0;
  Backend *backend = nullptr;
  // Prefill with last-position logits only: the lm_head product runs on one
  // row per sequence, row b of the result at lastRows + b * lastRowStride.
  bool lastOnly = false;
  const float *lastRows = nullptr;
  int64_t lastRowStride = 0;

  ~Plan() {
    recording.reset();
    kernels.clear();
    for (void *p : owned)
      backend->release(p);
  }
};

Session::Session(std::shared_ptr<const Model> model, int64_t batch)
    : model_(std::move(model)), batch_(batch) {
  if (batch < 1)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "batch size must be at least 1, got " + std::to_string(batch));
  const Manifest &m = model_->manifest();
  if (m.model.maxBatch > 0 && batch > m.model.maxBatch)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       model_->path() + " was compiled for at most " +
                           std::to_string(m.model.maxBatch) +
                           " sequences per session (ssmc-compile --max-batch); asked for " +
                           std::to_string(batch));
  Bindings b{batch, 0};
  try {
    for (const StateDesc &s : m.states) {
      const std::string what = model_->path() + ": state \"" + s.name + "\"";
      auto shape = bindShape(s.shape, b, what);
      auto bytes = checkedMul(numelOf(shape, what), dtypeSize(s.dtype));
      if (!bytes)
        throw RuntimeError(ErrorCode::InvalidArgument, what + ": byte size overflows");
      stateBytes_.push_back(static_cast<size_t>(*bytes));
      state_.push_back(model_->backend().allocate(static_cast<size_t>(*bytes)));
    }
  } catch (...) {
    for (void *p : state_)
      model_->backend().release(p);
    throw;
  }
}

Session::~Session() {
  plans_.clear();
  for (void *p : state_)
    model_->backend().release(p);
}

Session::Plan &Session::planFor(const EntryPoint &ep, int64_t length, int64_t rows) {
  const bool lastOnly = length > 1 && prefillLogits_ == PrefillLogits::Last;
  for (auto it = plans_.begin(); it != plans_.end(); ++it)
    if ((*it)->ep == &ep && (*it)->length == length && (*it)->batch == rows &&
        (*it)->lastOnly == lastOnly) {
      plans_.splice(plans_.begin(), plans_, it);
      return *plans_.front();
    }
  Backend &be = model_->backend();
  auto plan = std::make_unique<Plan>();
  plan->ep = &ep;
  plan->length = length;
  plan->batch = rows;
  plan->backend = &be;
  plan->lastOnly = lastOnly;
  // States are [batch, ...]: a plan of fewer rows runs on the first ones.
  plan->bound = bindEntry(model_->manifest(), ep, Bindings{rows, length},
                          model_->path());
  // Temps share one arena where their lives do not overlap; inputs and
  // outputs (the host reads and writes them between runs) have their own.
  const ArenaPlan arena = planArena(tempLives(ep, plan->bound));
  char *temps = nullptr;
  if (arena.bytes > 0) {
    plan->owned.push_back(be.allocate(static_cast<size_t>(arena.bytes)));
    temps = static_cast<char *>(plan->owned.back());
  }
  for (size_t i = 0; i < ep.buffers.size(); ++i) {
    const BufferDesc &d = ep.buffers[i];
    if (d.kind == BufferKind::State) {
      plan->buffers.push_back(state_[static_cast<size_t>(d.stateIndex)]);
    } else if (d.kind == BufferKind::Temp) {
      plan->buffers.push_back(temps ? temps + arena.offsets[i] : nullptr);
    } else {
      plan->owned.push_back(be.allocate(static_cast<size_t>(plan->bound.bufferBytes[i])));
      plan->buffers.push_back(plan->owned.back());
    }
  }
  auto base = [&](const BoundView &v) -> void * {
    return v.buffer >= 0 ? plan->buffers[static_cast<size_t>(v.buffer)]
                         : const_cast<void *>(model_->weight(v.weight));
  };
  auto f32 = [&](const BoundView &v) {
    return static_cast<float *>(base(v)) + v.offset;
  };
  auto descriptors = [&](const std::vector<BoundView> &views) {
    std::vector<Descriptor> descs;
    for (const BoundView &v : views)
      descs.push_back(memrefDescriptor(base(v), v.offset, v.shape, v.strides));
    return descs;
  };
  std::vector<Plan::Action> single; // per step
  // Fused kernels that stand for a range, by its first step.
  std::map<int, Plan::Action> fused;
  for (size_t i = 0; i < plan->bound.steps.size(); ++i) {
    const BoundStep &s = plan->bound.steps[i];
    const int at = static_cast<int>(i);
    if (s.desc->op == StepDesc::Op::Kernel) {
      single.push_back({false, plan->kernels.size(), at, at});
      plan->kernels.push_back(be.prepareKernel(s.desc->symbolIndex, descriptors(s.args)));
    } else {
      GemmCall g;
      g.m = s.m, g.n = s.n, g.k = s.k;
      g.a = f32(s.a), g.lda = s.a.strides[0];
      // A weight only products read may have no f32 copy (GemmWeights::f32).
      g.b = base(s.b) ? f32(s.b) : nullptr, g.ldb = s.b.strides[0];
      g.c = f32(s.c), g.ldc = s.c.strides[0];
      g.bias = s.hasBias ? f32(s.bias) : nullptr;
      if (s.b.weight >= 0 && model_->bf16Weight(s.b.weight))
        g.bBf16 = model_->bf16Weight(s.b.weight) + s.b.offset;
      // The product that writes the logits, one row per (sequence, position)
      // in that order: keep each sequence's last row (a strided product).
      if (lastOnly && s.c.buffer == ep.logits && g.m == rows * length &&
          s.a.shape.size() == 2 && s.c.shape.size() == 2) {
        g.m = rows;
        g.a += (length - 1) * g.lda, g.lda *= length;
        g.c += (length - 1) * g.ldc, g.ldc *= length;
        plan->lastRows = g.c, plan->lastRowStride = g.ldc;
      }
      single.push_back({true, plan->gemms.size(), at, at});
      plan->gemms.push_back(g);
      if (const auto &f = s.desc->fused)
        if (auto k = be.prepareFusedGemv(g, f->family, descriptors(s.fusedArgs))) {
          fused[f->first] = {false, plan->kernels.size(), f->first, f->last};
          plan->kernels.push_back(std::move(k));
        }
    }
  }
  for (size_t i = 0; i < single.size();) {
    auto f = fused.find(static_cast<int>(i));
    plan->actions.push_back(f != fused.end() ? f->second : single[i]);
    i = static_cast<size_t>(plan->actions.back().last) + 1;
  }
  plans_.push_front(std::move(plan));
  // Past its kind's limit, the least recently used plan of the kind goes.
  const bool decode = length == 0;
  const size_t limit = decode ? kMaxDecodePlans : kMaxPrefillPlans;
  size_t kept = 0;
  for (auto it = plans_.begin(); it != plans_.end();) {
    const bool evict = ((*it)->length == 0) == decode && ++kept > limit;
    if (evict && it->get() == last_)
      last_ = nullptr;
    it = evict ? plans_.erase(it) : std::next(it);
  }
  return *plans_.front();
}

void Session::checkTokens(const int32_t *tokens, int64_t count,
                          int64_t length) const {
  if (!tokens)
    throw RuntimeError(ErrorCode::InvalidArgument, "tokens is null");
  const int64_t vocab = model_->manifest().model.vocabSize;
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      throw RuntimeError(ErrorCode::BadInput,
                         "token " + std::to_string(tokens[i]) + " at tokens[" +
                             std::to_string(i) + "] (batch " +
                             std::to_string(i / length) + ", position " +
                             std::to_string(i % length) +
                             ") is outside the vocabulary [0, " +
                             std::to_string(vocab) + ")");
}

void Session::execute(Plan &plan) {
  Backend &be = model_->backend();
  auto steps = [&] {
    for (size_t a = 0; a < plan.actions.size(); ++a)
      run(plan, a);
  };
  if (!plan.recording && ++plan.runs == 2)
    plan.recording = be.record(steps);
  if (plan.recording)
    be.replay(*plan.recording);
  else
    steps();
  finished(plan);
}

void Session::run(Plan &plan, size_t a) {
  Backend &be = model_->backend();
  const Plan::Action &action = plan.actions[a];
  if (action.gemm)
    be.gemm(plan.gemms[action.index]);
  else
    be.launch(*plan.kernels[action.index]);
}

void Session::finished(Plan &plan) {
  last_ = &plan;
  logitsStale_ = true;
  rowsCurrent_ = false;
  if (!plan.lastRows)
    return;
  // Only each sequence's last row was computed: those rows are the logits.
  const int64_t vocab = model_->manifest().model.paddedVocabSize;
  rows_.resize(static_cast<size_t>(batch_ * vocab));
  for (int64_t b = 0; b < batch_; ++b)
    model_->backend().copyToHost(rows_.data() + b * vocab, plan.lastRows + b * plan.lastRowStride,
                                 static_cast<size_t>(vocab) * sizeof(float));
  rowsCurrent_ = true;
}

Session::Plan &Session::stage(const int32_t *tokens, int64_t length, int64_t rows) {
  const Manifest &m = model_->manifest();
  const bool isDecode = length == 0;
  const std::optional<EntryPoint> &ep = isDecode ? m.decode : m.prefill;
  if (!ep)
    throw RuntimeError(ErrorCode::Unsupported,
                       model_->path() + ": artifact has no " +
                           (isDecode ? "decode" : "prefill") + " entry point");
  if (length < 0)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "sequence length must be at least 1, got " + std::to_string(length));
  auto count = checkedMul(rows, isDecode ? 1 : length);
  if (!count)
    throw RuntimeError(ErrorCode::InvalidArgument, "batch * length overflows");
  checkTokens(tokens, *count, isDecode ? 1 : length);
  Plan &plan = planFor(*ep, length, rows);
  model_->backend().copyToDevice(plan.buffers[static_cast<size_t>(ep->tokens)], tokens,
                                 static_cast<size_t>(*count) * sizeof(int32_t));
  return plan;
}

bool Session::canContinue() const {
  const auto &prefill = model_->manifest().prefill;
  return prefill && prefill->readsState;
}

void Session::prefill(const int32_t *tokens, int64_t length, From from) {
  if (length < 1)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "sequence length must be at least 1, got " + std::to_string(length));
  if (from == From::State && !canContinue())
    throw RuntimeError(ErrorCode::Unsupported,
                       model_->path() + ": this artifact's prefill cannot continue a sequence "
                                        "(its prefill only writes the state); compile it "
                                        "again with this ssmc-compile");
  Plan &plan = stage(tokens, length, batch_); // checks the tokens before the state changes
  if (from == From::Empty)
    resetState();
  execute(plan);
}

void Session::decode(const int32_t *tokens, int64_t rows) {
  if (rows < 1 || rows > batch_)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "decode rows " + std::to_string(rows) + " is outside [1, " +
                           std::to_string(batch_) + "]");
  execute(stage(tokens, 0, rows));
}

std::vector<StepTime> Session::profile(const int32_t *tokens, int64_t length) {
  Plan &plan = stage(tokens, length, batch_);
  Backend &be = model_->backend();
  const Manifest &m = model_->manifest();
  std::vector<StepTime> out(plan.bound.steps.size());
  auto viewBytes = [&](const std::vector<BoundView> &views, const std::string &where) {
    int64_t bytes = 0;
    for (const BoundView &v : views) {
      DType dt = v.buffer >= 0 ? plan.ep->buffers[static_cast<size_t>(v.buffer)].dtype
                               : m.weights[static_cast<size_t>(v.weight)].dtype;
      bytes += numelOf(v.shape, where) * dtypeSize(dt);
    }
    return bytes;
  };
  size_t gemm = 0;
  for (size_t index = 0; index < plan.actions.size(); ++index) {
    const Plan::Action &a = plan.actions[index];
    // A fused kernel's time goes to its gemm step; the steps it stands for
    // show none (StepTime::fusedAway).
    int shown = a.first;
    for (int i = a.first; i <= a.last; ++i) {
      const BoundStep &s = plan.bound.steps[static_cast<size_t>(i)];
      StepTime &t = out[static_cast<size_t>(i)];
      t.gemm = s.desc->op == StepDesc::Op::Gemm;
      if (t.gemm) {
        const GemmCall &g = plan.gemms[gemm++];
        t.m = g.m, t.n = g.n, t.k = g.k;
        t.skinny = a.first != a.last || be.runsAsSkinnyGemm(g);
        t.bytes = (g.m * g.k + g.n * g.k + g.m * g.n + (g.bias ? g.n : 0)) * 4;
        if (a.first != a.last) {
          t.fused = true;
          t.bytes = viewBytes(s.fusedArgs, s.desc->where) + g.n * g.k * 4;
          shown = i;
        }
      } else {
        t.bytes = viewBytes(s.args, s.desc->where);
        t.fusedAway = a.first != a.last;
        if (t.fusedAway)
          t.bytes = 0;
      }
    }
    out[static_cast<size_t>(shown)].ms = be.timeMs([&] { run(plan, index); });
  }
  finished(plan);
  return out;
}

const float *Session::logits(std::vector<int64_t> &shape) const {
  shape.clear();
  if (rowsCurrent_) {
    shape = {batch_, model_->manifest().model.paddedVocabSize};
    return rows_.data();
  }
  if (!last_)
    return nullptr;
  int idx = last_->ep->logits;
  shape = last_->bound.bufferShapes[static_cast<size_t>(idx)];
  const void *data = last_->buffers[static_cast<size_t>(idx)];
  Backend &be = model_->backend();
  if (be.hostAddressable())
    return static_cast<const float *>(data);
  // Device memory: one copy per prefill/decode, made when first asked for.
  if (logitsStale_) {
    size_t bytes = static_cast<size_t>(last_->bound.bufferBytes[static_cast<size_t>(idx)]);
    hostLogits_.resize(bytes / sizeof(float));
    be.copyToHost(hostLogits_.data(), data, bytes);
    logitsStale_ = false;
  }
  return hostLogits_.data();
}

const float *Session::deviceLogits(std::vector<int64_t> &shape) const {
  shape.clear();
  Backend &be = model_->backend();
  if (be.hostAddressable() || be.samplerKernel() < 0 || rowsCurrent_ || !last_)
    return nullptr;
  static const bool hostOnly = [] {
    const char *v = std::getenv("SSMC_HOST_SAMPLING");
    return v && std::string(v) == "1";
  }();
  if (hostOnly)
    return nullptr;
  const size_t idx = static_cast<size_t>(last_->ep->logits);
  shape = last_->bound.bufferShapes[idx];
  return static_cast<const float *>(last_->buffers[idx]);
}

void Session::sampleOnDevice(Sampler &sampler, const float *rows, int64_t rowStride,
                             int64_t vocab, int32_t *out, int64_t count) const {
  if (!deviceSampler_)
    deviceSampler_ = std::make_unique<DeviceSampler>(model_->backend(), batch_,
                                                      model_->manifest().model.paddedVocabSize);
  deviceSampler_->sample(sampler, rows, rowStride, vocab, out, count);
}

int Session::stateIndex(const std::string &name) const {
  int i = model_->manifest().findState(name);
  if (i < 0)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       model_->path() + ": no state named \"" + name + "\"");
  return i;
}

size_t Session::stateBytes(const std::string &name) const {
  return stateBytes_[static_cast<size_t>(stateIndex(name))];
}

void Session::readState(const std::string &name, void *dst, size_t bytes) const {
  size_t i = static_cast<size_t>(stateIndex(name));
  if (!dst || bytes != stateBytes_[i])
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "state \"" + name + "\" has " + std::to_string(stateBytes_[i]) +
                           " bytes; the caller's buffer has " + std::to_string(bytes) +
                           (dst ? "" : " (null)"));
  model_->backend().copyToHost(dst, state_[i], bytes);
}

void Session::writeState(const std::string &name, const void *src, size_t bytes) {
  size_t i = static_cast<size_t>(stateIndex(name));
  if (!src || bytes != stateBytes_[i])
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "state \"" + name + "\" has " + std::to_string(stateBytes_[i]) +
                           " bytes; the caller's buffer has " + std::to_string(bytes) +
                           (src ? "" : " (null)"));
  model_->backend().copyToDevice(state_[i], src, bytes);
}

void Session::copyStateOut(size_t i, size_t offset, void *dst, size_t bytes) const {
  model_->backend().copyToHost(dst, static_cast<const uint8_t *>(state_[i]) + offset, bytes);
}

void Session::copyStateIn(size_t i, size_t offset, const void *src, size_t bytes) {
  model_->backend().copyToDevice(static_cast<uint8_t *>(state_[i]) + offset, src, bytes);
}

void Session::copyStateWithin(size_t i, size_t to, size_t from, size_t bytes) {
  auto *base = static_cast<uint8_t *>(state_[i]);
  model_->backend().copyWithin(base + to, base + from, bytes);
}

void Session::resetState() {
  for (size_t i = 0; i < state_.size(); ++i)
    model_->backend().zero(state_[i], stateBytes_[i]);
}

} // namespace ssmc
