// See continuous.h.
#include "continuous.h"

#include <algorithm>
#include <chrono>
#include <memory>

namespace ssmc_run {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct SessionFree {
  void operator()(ssmc_session *s) const { ssmc_session_free(s); }
};
struct SamplerFree {
  void operator()(ssmc_sampler *s) const { ssmc_sampler_free(s); }
};

} // namespace

ssmc_sampler_params samplerParams(const Settings &s) {
  ssmc_sampler_params p;
  ssmc_sampler_params_init(&p);
  p.temperature = s.temperature;
  p.top_k = static_cast<int32_t>(s.topK);
  p.top_p = s.topP;
  p.min_p = s.minP;
  p.repetition_penalty = s.repetitionPenalty;
  p.seed = s.seed;
  p.stop_tokens = s.stopTokens.data();
  p.n_stop_tokens = static_cast<int32_t>(s.stopTokens.size());
  p.max_new_tokens = s.maxNewTokens;
  return p;
}

ssmc_status runContinuous(ssmc_model *model, const std::vector<std::vector<int32_t>> &prompts,
                          const std::vector<Settings> &settings, int64_t slots,
                          std::vector<SequenceResult> &results, Timings &t) {
  const int64_t count = static_cast<int64_t>(prompts.size());
  const int64_t batch = std::min(slots, count);
  results.resize(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i)
    results[i].promptLength = prompts[i].size();
  if (batch < 1)
    return SSMC_OK;

  ssmc_session *rawSession = nullptr;
  ssmc_status s = ssmc_session_create(model, batch, &rawSession);
  if (s != SSMC_OK)
    return s;
  std::unique_ptr<ssmc_session, SessionFree> session(rawSession);
  ssmc_sampler_params p; // each row takes its prompt's settings and seed
  ssmc_sampler_params_init(&p);
  ssmc_sampler *rawSampler = nullptr;
  if ((s = ssmc_sampler_create(&p, batch, &rawSampler)) != SSMC_OK)
    return s;
  std::unique_ptr<ssmc_sampler, SamplerFree> sampler(rawSampler);

  // Slot b runs prompt owner[b] (-1: idle). Starting a prompt prefills it
  // alone into its slot and gives the slot's sampler row the prompt's
  // settings; a prompt that generates nothing is prefilled only.
  std::vector<int64_t> owner(static_cast<size_t>(batch), -1);
  int64_t next = 0;
  auto start = [&](int64_t b) -> ssmc_status {
    for (; next < count; ++next) {
      const std::vector<int32_t> &prompt = prompts[static_cast<size_t>(next)];
      const Settings &mine = settings[static_cast<size_t>(next)];
      auto begin = Clock::now();
      ssmc_status r = ssmc_prefill_sequence(session.get(), b, prompt.data(),
                                            static_cast<int64_t>(prompt.size()));
      t.prefillMs += msSince(begin);
      if (r != SSMC_OK)
        return r;
      if (mine.maxNewTokens == 0)
        continue;
      // The row takes the filters, temperature and penalty (the rest is
      // ignored there): its seed comes with the restart.
      const ssmc_sampler_params own = samplerParams(mine);
      if ((r = ssmc_sampler_set_sequence_params(sampler.get(), b, &own)) != SSMC_OK ||
          (r = ssmc_sampler_restart_sequence(sampler.get(), b, mine.seed, prompt.data(),
                                             static_cast<int64_t>(prompt.size()))) != SSMC_OK)
        return r;
      owner[static_cast<size_t>(b)] = next++;
      return SSMC_OK;
    }
    return SSMC_OK;
  };
  auto idle = [&] {
    return std::all_of(owner.begin(), owner.end(), [](int64_t i) { return i < 0; });
  };
  for (int64_t b = 0; b < batch; ++b)
    if ((s = start(b)) != SSMC_OK)
      return s;
  t.groups += 1;

  std::vector<int32_t> sampled(static_cast<size_t>(batch)), feed(static_cast<size_t>(batch), 0);
  while (!idle()) {
    auto stepStart = Clock::now();
    if ((s = ssmc_sample(sampler.get(), session.get(), sampled.data())) != SSMC_OK)
      return s;
    std::vector<int64_t> finished;
    int64_t going = 0; // sequences that take a decode step now
    int64_t rows = 0;  // the first slots that hold all of them
    for (int64_t b = 0; b < batch; ++b) {
      int64_t i = owner[static_cast<size_t>(b)];
      if (i < 0)
        continue;
      SequenceResult &r = results[static_cast<size_t>(i)];
      const Settings &mine = settings[static_cast<size_t>(i)];
      int32_t id = sampled[static_cast<size_t>(b)];
      r.tokens.push_back(id);
      r.stopped = std::find(mine.stopTokens.begin(), mine.stopTokens.end(), id) !=
                  mine.stopTokens.end();
      feed[static_cast<size_t>(b)] = id;
      if (r.stopped || static_cast<int64_t>(r.tokens.size()) == mine.maxNewTokens) {
        finished.push_back(b);
      } else {
        ++going;
        rows = b + 1;
      }
    }
    // The sequences going on take their step: the first `rows` slots decode
    // (a finished or idle slot among them too, its row then replaced or
    // ignored), so the batch shrinks as its last slots finish.
    if (going > 0) {
      if ((s = ssmc_decode_rows(session.get(), rows, feed.data())) != SSMC_OK)
        return s;
      t.decodeMs += msSince(stepStart);
      t.decodeTokens += going;
    }
    for (int64_t b : finished) {
      owner[static_cast<size_t>(b)] = -1;
      if ((s = start(b)) != SSMC_OK)
        return s;
    }
  }
  return SSMC_OK;
}

} // namespace ssmc_run
