// The generation loop behind ssmc_generate.
#include "generate.h"

#include "ssmc/error.h"

#include <algorithm>
#include <string>

namespace ssmc {

void sampleFromSession(const Session &s, Sampler &sampler, int32_t *out) {
  if (sampler.batch() != s.batch())
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "sampler was made for a batch of " + std::to_string(sampler.batch()) +
                           ", the session has " + std::to_string(s.batch()));
  std::vector<int64_t> shape;
  const float *data = s.deviceLogits(shape);
  const bool onDevice = data != nullptr;
  if (!onDevice)
    data = s.logits(shape);
  if (!data)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "no logits yet: call ssmc_prefill or ssmc_decode first");
  const ModelInfo &mi = s.model().manifest().model;
  if (shape.size() < 2 || shape[0] < 1 || shape[0] > s.batch() ||
      shape.back() != mi.paddedVocabSize)
    throw RuntimeError(ErrorCode::BadArtifact,
                       s.model().path() + ": logits do not have shape [batch, ..., padded_vocab]");
  int64_t perSeq = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    perSeq *= shape[i];
  // The last position of sequence 0; sequence b's is perSeq floats further.
  const float *rows = data + perSeq - mi.paddedVocabSize;
  if (onDevice)
    s.sampleOnDevice(sampler, rows, perSeq, mi.vocabSize, out, shape[0]);
  else
    sampler.sample(rows, perSeq, mi.vocabSize, out, shape[0]);
}

void generate(Session &s, Sampler &sampler, const int32_t *prompt, int64_t length,
              const GenerateOptions &opts, int32_t *out, int64_t *counts,
              const StepCallback &onStep) {
  const int64_t B = s.batch();
  if (opts.maxNewTokens < 0)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "max_new_tokens must be >= 0, got " + std::to_string(opts.maxNewTokens));
  if (length < 0 || (length > 0 && !prompt))
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "prompt: length " + std::to_string(length) + (prompt ? "" : " with a null pointer"));
  if (out)
    std::fill(out, out + B * opts.maxNewTokens, -1);
  if (counts)
    std::fill(counts, counts + B, 0);
  if (length > 0) {
    s.prefill(prompt, length);
    sampler.observe(prompt, length);
  }
  if (opts.maxNewTokens == 0)
    return;

  std::vector<int32_t> next(static_cast<size_t>(B)), feed(static_cast<size_t>(B)),
      report(static_cast<size_t>(B));
  std::vector<char> done(static_cast<size_t>(B), 0);
  for (int64_t step = 0;; ++step) {
    sampleFromSession(s, sampler, next.data());
    bool allDone = true;
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) {
        report[b] = -1; // keep feeding its last token; its outputs are ignored
        continue;
      }
      report[b] = feed[b] = next[b];
      if (out)
        out[b * opts.maxNewTokens + step] = next[b];
      if (counts)
        counts[b] = step + 1;
      done[b] = std::find(opts.stopTokens.begin(), opts.stopTokens.end(), next[b]) !=
                opts.stopTokens.end();
      allDone = allDone && done[b];
    }
    if (onStep && !onStep(step, report.data()))
      return;
    if (allDone || step + 1 == opts.maxNewTokens)
      return; // the last token needs no decode step
    s.decode(feed.data());
  }
}

} // namespace ssmc
