// C API: samplers and ssmc_generate (see sampling.h, generate.h).
#include "c_api_internal.h"
#include "generate.h"

using ssmc_capi::guard;
using ssmc_capi::require;

struct ssmc_sampler {
  std::unique_ptr<ssmc::Sampler> sampler;
};

namespace {

ssmc::SamplerParams toParams(const ssmc_sampler_params &p, int64_t batch) {
  ssmc::SamplerParams sp;
  sp.temperature = p.temperature;
  sp.topK = p.top_k;
  sp.topP = p.top_p;
  sp.minP = p.min_p;
  sp.repetitionPenalty = p.repetition_penalty;
  sp.seed = p.seed;
  if (p.seeds && batch > 0)
    sp.seeds.assign(p.seeds, p.seeds + batch);
  return sp;
}

} // namespace

extern "C" {

void ssmc_sampler_params_init(ssmc_sampler_params *p) {
  if (!p)
    return;
  p->temperature = 1.0;
  p->top_k = 0;
  p->top_p = 1.0;
  p->min_p = 0.0;
  p->repetition_penalty = 1.0;
  p->seed = 0;
  p->seeds = nullptr;
  p->stop_tokens = nullptr;
  p->n_stop_tokens = 0;
  p->max_new_tokens = 16;
}

ssmc_status ssmc_sampler_create(const ssmc_sampler_params *params, int64_t batch,
                                ssmc_sampler **sampler) {
  if (sampler)
    *sampler = nullptr;
  return guard([&] {
    require(params, "params");
    require(sampler, "sampler");
    auto h = std::make_unique<ssmc_sampler>();
    h->sampler = std::make_unique<ssmc::Sampler>(batch, toParams(*params, batch));
    *sampler = h.release();
  });
}

void ssmc_sampler_free(ssmc_sampler *sampler) { delete sampler; }

ssmc_status ssmc_sampler_reset(ssmc_sampler *sampler) {
  return guard([&] {
    require(sampler, "sampler");
    sampler->sampler->reset();
  });
}

ssmc_status ssmc_sampler_restart_sequence(ssmc_sampler *sampler, int64_t sequence,
                                         uint64_t seed, const int32_t *tokens,
                                         int64_t length) {
  return guard([&] {
    require(sampler, "sampler");
    sampler->sampler->restartSequence(sequence, seed, tokens, length);
  });
}

ssmc_status ssmc_sampler_set_sequence_params(ssmc_sampler *sampler, int64_t sequence,
                                             const ssmc_sampler_params *params) {
  return guard([&] {
    require(sampler, "sampler");
    require(params, "params");
    sampler->sampler->setSequenceParams(sequence, toParams(*params, 0));
  });
}

ssmc_status ssmc_sampler_copy_sequence(ssmc_sampler *sampler, int64_t from, int64_t to) {
  return guard([&] {
    require(sampler, "sampler");
    sampler->sampler->copySequence(from, to);
  });
}

ssmc_status ssmc_sampler_observe(ssmc_sampler *sampler, const int32_t *tokens,
                                 int64_t length) {
  return guard([&] {
    require(sampler, "sampler");
    sampler->sampler->observe(tokens, length);
  });
}

ssmc_status ssmc_sample(ssmc_sampler *sampler, const ssmc_session *session,
                        int32_t *out_ids) {
  return guard([&] {
    require(sampler, "sampler");
    require(session, "session");
    require(out_ids, "out_ids");
    ssmc::sampleFromSession(*session->session, *sampler->sampler, out_ids);
  });
}

ssmc_status ssmc_sample_logits(ssmc_sampler *sampler, const float *logits,
                               int64_t row_stride, int64_t vocab_size,
                               int32_t *out_ids) {
  return guard([&] {
    require(sampler, "sampler");
    require(logits, "logits");
    require(out_ids, "out_ids");
    sampler->sampler->sample(logits, row_stride, vocab_size, out_ids);
  });
}

ssmc_status ssmc_generate(ssmc_session *session, const int32_t *prompt, int64_t length,
                          const ssmc_sampler_params *params, int32_t *out_tokens,
                          int64_t *out_counts, ssmc_step_callback callback, void *user) {
  return guard([&] {
    require(session, "session");
    require(params, "params");
    if (params->n_stop_tokens < 0 || (params->n_stop_tokens > 0 && !params->stop_tokens))
      throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                               "stop_tokens: bad array (n_stop_tokens " +
                                   std::to_string(params->n_stop_tokens) + ")");
    ssmc::Session &s = *session->session;
    ssmc::Sampler sampler(s.batch(), toParams(*params, s.batch()));
    ssmc::GenerateOptions opts;
    opts.maxNewTokens = params->max_new_tokens;
    if (params->n_stop_tokens > 0)
      opts.stopTokens.assign(params->stop_tokens, params->stop_tokens + params->n_stop_tokens);
    ssmc::StepCallback onStep;
    if (callback)
      onStep = [&](int64_t step, const int32_t *tokens) {
        return callback(user, step, tokens, s.batch()) == 0;
      };
    ssmc::generate(s, sampler, prompt, length, opts, out_tokens, out_counts, onStep);
  });
}

} // extern "C"
