// The C API: handles around Model/Session, exceptions turned into statuses
// and a thread-local message. Nothing may throw across this boundary.
#include "c_api_internal.h"

using ssmc_capi::guard;
using ssmc_capi::require;

std::string &ssmc_capi::lastError() {
  thread_local std::string message;
  return message;
}

extern "C" {

void ssmc_load_options_init(ssmc_load_options *options) {
  if (!options)
    return;
  options->verify_checksums = 1;
  options->num_threads = 0;
  options->device = SSMC_DEVICE_AUTO;
  options->cuda_device = 0;
}

ssmc_status ssmc_model_load(const char *path, const ssmc_load_options *options,
                            ssmc_model **model) {
  if (model)
    *model = nullptr;
  return guard([&] {
    require(path, "path");
    require(model, "model");
    ssmc_load_options defaults;
    ssmc_load_options_init(&defaults);
    const ssmc_load_options &o = options ? *options : defaults;
    ssmc::LoadOptions lo;
    lo.verifyChecksums = o.verify_checksums != 0;
    lo.numThreads = o.num_threads;
    switch (o.device) {
    case SSMC_DEVICE_AUTO: lo.device = ssmc::Device::Auto; break;
    case SSMC_DEVICE_CPU: lo.device = ssmc::Device::Cpu; break;
    case SSMC_DEVICE_CUDA: lo.device = ssmc::Device::Cuda; break;
    default:
      throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                               "options->device " + std::to_string(int(o.device)) +
                                   " is not an ssmc_device value");
    }
    if (o.cuda_device < 0)
      throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                               "options->cuda_device must not be negative");
    lo.cudaDevice = o.cuda_device;
    auto handle = std::make_unique<ssmc_model>();
    handle->model = ssmc::Model::load(path, lo);
    *model = handle.release();
  });
}

void ssmc_model_free(ssmc_model *model) { delete model; }

ssmc_status ssmc_model_info(const ssmc_model *model, ssmc_model_info_t *info) {
  return guard([&] {
    require(model, "model");
    require(info, "info");
    const ssmc::Manifest &m = model->model->manifest();
    info->vocab_size = m.model.vocabSize;
    info->padded_vocab_size = m.model.paddedVocabSize;
    info->n_layer = m.model.nLayer;
    info->arch = m.model.arch.c_str();
    info->producer = m.producer.c_str();
    info->n_state = static_cast<int32_t>(m.states.size());
    info->has_prefill = m.prefill.has_value();
    info->has_decode = m.decode.has_value();
    info->device = model->model->target();
    info->max_batch = m.model.maxBatch;
    info->prefill_continues = m.prefill && m.prefill->readsState;
    auto image = m.kernels.find(info->device);
    const ssmc::GemmMath math =
        image != m.kernels.end() ? image->second.gemmMath : ssmc::GemmMath::F32;
    info->gemm_math = math == ssmc::GemmMath::TF32   ? "tf32"
                      : math == ssmc::GemmMath::BF16 ? "bf16"
                                                     : "f32";
  });
}

ssmc_status ssmc_model_state_name(const ssmc_model *model, int32_t index,
                                  const char **name) {
  return guard([&] {
    require(model, "model");
    require(name, "name");
    const auto &states = model->model->manifest().states;
    if (index < 0 || static_cast<size_t>(index) >= states.size())
      throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                               "state index " + std::to_string(index) +
                                   " is outside [0, " +
                                   std::to_string(states.size()) + ")");
    *name = states[static_cast<size_t>(index)].name.c_str();
  });
}

ssmc_status ssmc_session_create(ssmc_model *model, int64_t batch,
                                ssmc_session **session) {
  if (session)
    *session = nullptr;
  return guard([&] {
    require(model, "model");
    require(session, "session");
    auto handle = std::make_unique<ssmc_session>();
    handle->session = std::make_unique<ssmc::Session>(model->model, batch);
    *session = handle.release();
  });
}

void ssmc_session_free(ssmc_session *session) { delete session; }

ssmc_status ssmc_prefill(ssmc_session *session, const int32_t *tokens,
                         int64_t length) {
  return guard([&] {
    require(session, "session");
    session->session->prefill(tokens, length);
  });
}

ssmc_status ssmc_prefill_continue(ssmc_session *session, const int32_t *tokens,
                                  int64_t length) {
  return guard([&] {
    require(session, "session");
    session->session->prefill(tokens, length, ssmc::Session::From::State);
  });
}

ssmc_status ssmc_session_set_prefill_logits(ssmc_session *session, int32_t mode) {
  return guard([&] {
    require(session, "session");
    if (mode != SSMC_PREFILL_LOGITS_ALL && mode != SSMC_PREFILL_LOGITS_LAST)
      throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                               "prefill logits mode " + std::to_string(mode) +
                                   " (expected SSMC_PREFILL_LOGITS_ALL or _LAST)");
    session->session->setPrefillLogits(mode == SSMC_PREFILL_LOGITS_LAST
                                           ? ssmc::PrefillLogits::Last
                                           : ssmc::PrefillLogits::All);
  });
}

ssmc_status ssmc_prefill_sequence(ssmc_session *session, int64_t sequence,
                                  const int32_t *tokens, int64_t length) {
  return guard([&] {
    require(session, "session");
    session->session->prefillSequence(sequence, tokens, length);
  });
}

ssmc_status ssmc_prefill_sequence_continue(ssmc_session *session, int64_t sequence,
                                           const int32_t *tokens, int64_t length) {
  return guard([&] {
    require(session, "session");
    session->session->prefillSequence(sequence, tokens, length, ssmc::Session::From::State);
  });
}

ssmc_status ssmc_prefill_varlen(ssmc_session *session, const int32_t *tokens,
                                const int64_t *lengths) {
  return guard([&] {
    require(session, "session");
    session->session->prefillVarlen(tokens, lengths);
  });
}

ssmc_status ssmc_decode(ssmc_session *session, const int32_t *tokens) {
  return guard([&] {
    require(session, "session");
    session->session->decode(tokens);
  });
}

ssmc_status ssmc_decode_rows(ssmc_session *session, int64_t rows, const int32_t *tokens) {
  return guard([&] {
    require(session, "session");
    session->session->decode(tokens, rows);
  });
}

ssmc_status ssmc_profile(ssmc_session *session, const int32_t *tokens, int64_t length,
                         ssmc_step_time *steps, int32_t capacity, int32_t *count) {
  return guard([&] {
    require(session, "session");
    require(count, "count");
    if (capacity < 0 || (capacity > 0 && !steps))
      throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                               "steps is null or capacity is negative");
    if (length < 0)
      throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                               "length must be 0 (decode) or more, got " +
                                   std::to_string(length));
    std::vector<ssmc::StepTime> times = session->session->profile(tokens, length);
    const ssmc::EntryPoint &ep = length == 0 ? *session->session->model().manifest().decode
                                             : *session->session->model().manifest().prefill;
    *count = static_cast<int32_t>(times.size());
    for (size_t i = 0; i < times.size() && i < size_t(capacity); ++i) {
      const ssmc::StepTime &t = times[i];
      ssmc_step_time &o = steps[i];
      // One time per step, in order; names point into the model's manifest
      // so they outlive this call.
      o.name = t.gemm ? (t.fused ? "gemv_fused" : t.skinny ? "gemv" : "gemm")
                      : ep.steps[i].symbol.c_str();
      o.op = t.gemm ? "ssm.linear" : ep.steps[i].source.c_str();
      o.is_gemm = t.gemm;
      o.m = t.m, o.n = t.n, o.k = t.k;
      o.bytes = t.bytes;
      o.ms = t.ms;
    }
  });
}

ssmc_status ssmc_session_synchronize(ssmc_session *session) {
  return guard([&] {
    require(session, "session");
    session->session->model().backend().synchronize();
  });
}

ssmc_status ssmc_logits(const ssmc_session *session, const float **data,
                        int64_t *dims, int32_t *rank) {
  return guard([&] {
    require(session, "session");
    require(data, "data");
    require(dims, "dims");
    require(rank, "rank");
    std::vector<int64_t> shape;
    const float *p = session->session->logits(shape);
    if (!p)
      throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                               "no logits yet: call ssmc_prefill or ssmc_decode first");
    if (shape.size() > SSMC_MAX_RANK)
      throw ssmc::RuntimeError(ssmc::ErrorCode::Unsupported,
                               "logits rank exceeds SSMC_MAX_RANK");
    for (size_t i = 0; i < shape.size(); ++i)
      dims[i] = shape[i];
    *rank = static_cast<int32_t>(shape.size());
    *data = p;
  });
}

ssmc_status ssmc_state_nbytes(const ssmc_session *session, const char *name,
                              size_t *nbytes) {
  return guard([&] {
    require(session, "session");
    require(name, "name");
    require(nbytes, "nbytes");
    *nbytes = session->session->stateBytes(name);
  });
}

ssmc_status ssmc_state_read(const ssmc_session *session, const char *name,
                            void *dst, size_t nbytes) {
  return guard([&] {
    require(session, "session");
    require(name, "name");
    session->session->readState(name, dst, nbytes);
  });
}

ssmc_status ssmc_state_write(ssmc_session *session, const char *name,
                             const void *src, size_t nbytes) {
  return guard([&] {
    require(session, "session");
    require(name, "name");
    session->session->writeState(name, src, nbytes);
  });
}

ssmc_status ssmc_session_reset(ssmc_session *session) {
  return guard([&] {
    require(session, "session");
    session->session->resetState();
  });
}

const char *ssmc_last_error(void) { return ssmc_capi::lastError().c_str(); }

const char *ssmc_status_string(ssmc_status status) {
  switch (status) {
  case SSMC_OK: return "ok";
  case SSMC_ERROR_INVALID_ARGUMENT: return "invalid argument";
  case SSMC_ERROR_IO: return "i/o error";
  case SSMC_ERROR_BAD_ARTIFACT: return "bad artifact";
  case SSMC_ERROR_UNSUPPORTED: return "unsupported";
  case SSMC_ERROR_BAD_INPUT: return "bad input";
  case SSMC_ERROR_RUNTIME: return "runtime failure";
  }
  return "unknown status";
}

} // extern "C"
