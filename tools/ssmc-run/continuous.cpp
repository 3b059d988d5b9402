// See continuous.h.
#include "continuous.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

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

  // On cuda each row count decodes through a graph of its own, recorded
  // once: the rows round up to a power of two so that a draining batch
  // records a few (the idle slots past the live ones step too, harmlessly:
  // a new prompt replaces a slot's state). On the cpu every row costs its
  // work, so exactly the rows needed decode.
  ssmc_model_info_t info{};
  if ((s = ssmc_model_info(model, &info)) != SSMC_OK)
    return s;
  const bool buckets = std::string(info.device) == "cuda";
  auto rowsToDecode = [&](int64_t rows) {
    if (!buckets)
      return rows;
    int64_t r = 1;
    while (r < rows)
      r *= 2;
    return std::min(r, batch);
  };

  std::vector<int32_t> sampled(static_cast<size_t>(batch)), feed(static_cast<size_t>(batch), 0);
  // Once no prompt waits, the live sequences move down into the idle slots
  // below them (their state and sampler row copied on the device), so the
  // decode covers only the first slots.
  auto compact = [&]() -> ssmc_status {
    for (int64_t free = 0, last = batch - 1;; ++free, --last) {
      while (free < batch && owner[static_cast<size_t>(free)] >= 0)
        ++free;
      while (last >= 0 && owner[static_cast<size_t>(last)] < 0)
        --last;
      if (free >= last)
        return SSMC_OK;
      ssmc_status r = ssmc_copy_sequence(session.get(), last, free);
      if (r == SSMC_OK)
        r = ssmc_sampler_copy_sequence(sampler.get(), last, free);
      if (r != SSMC_OK)
        return r;
      owner[static_cast<size_t>(free)] = owner[static_cast<size_t>(last)];
      feed[static_cast<size_t>(free)] = feed[static_cast<size_t>(last)];
      owner[static_cast<size_t>(last)] = -1;
      t.moves += 1;
    }
  };
  while (!idle()) {
    auto stepStart = Clock::now();
    if ((s = ssmc_sample(sampler.get(), session.get(), sampled.data())) != SSMC_OK)
      return s;
    std::vector<int64_t> finished;
    int64_t going = 0; // sequences that take a decode step now
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
        owner[static_cast<size_t>(b)] = -1;
      } else {
        ++going;
      }
    }
    if (next >= count && (s = compact()) != SSMC_OK)
      return s;
    // The sequences going on take their step: the first slots up to the
    // last live one decode (a finished slot among them too, its row then
    // replaced by the next prompt).
    if (going > 0) {
      int64_t rows = batch;
      while (owner[static_cast<size_t>(rows - 1)] < 0)
        --rows;
      rows = rowsToDecode(rows);
      if ((s = ssmc_decode_rows(session.get(), rows, feed.data())) != SSMC_OK)
        return s;
      t.decodeMs += msSince(stepStart);
      t.decodeTokens += going;
      t.decodeRows += rows;
    }
    for (int64_t b : finished)
      if (owner[static_cast<size_t>(b)] < 0 && (s = start(b)) != SSMC_OK)
        return s;
  }
  return SSMC_OK;
}

} // namespace ssmc_run
