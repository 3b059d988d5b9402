// ssmc-run: load a compiled model, prefill a prompt, decode greedily, print
// the generated ids. Exit codes: 0 ok, 1 usage/bad input, 2 bad input file or
// artifact, 3 runtime failure (see kUsage and docs/runtime.md).
#include "args.h"
#include "npy.h"

#include "ssmc/runtime.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

enum Exit { kOk = 0, kUsage = 1, kBadFile = 2, kRuntime = 3 };

int fail(int code, const std::string &msg) {
  std::fprintf(stderr, "ssmc-run: error: %s\n", msg.c_str());
  return code;
}

// Input-data problems are the user's (1); a bad artifact is the file's (2);
// anything else went wrong while running (3).
int exitFor(ssmc_status s) {
  switch (s) {
  case SSMC_ERROR_IO:
  case SSMC_ERROR_BAD_ARTIFACT:
  case SSMC_ERROR_UNSUPPORTED: return kBadFile;
  case SSMC_ERROR_BAD_INPUT: return kUsage;
  default: return kRuntime;
  }
}

// Greedy choice over the real vocabulary only: padded rows never win.
int32_t argmax(const float *row, int64_t vocab) {
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (row[i] > row[best] || (std::isnan(row[best]) && !std::isnan(row[i])))
      best = i;
  return static_cast<int32_t>(best);
}

struct Guard {
  ssmc_model *model = nullptr;
  ssmc_session *session = nullptr;
  ~Guard() {
    ssmc_session_free(session);
    ssmc_model_free(model);
  }
};

} // namespace

int main(int argc, char **argv) {
  std::string error;
  auto parsed = ssmc_run::parseArgs(argc, argv, error);
  if (!parsed) {
    std::fprintf(stderr, "ssmc-run: error: %s\n(see ssmc-run --help)\n", error.c_str());
    return kUsage;
  }
  const ssmc_run::Options &o = *parsed;
  if (o.help) {
    std::fputs(ssmc_run::kUsage, stdout);
    return kOk;
  }

  Guard g;
  ssmc_load_options lo;
  ssmc_load_options_init(&lo);
  lo.verify_checksums = o.verify;
  lo.num_threads = o.threads;
  ssmc_status s = ssmc_model_load(o.model.c_str(), &lo, &g.model);
  if (s != SSMC_OK)
    return fail(exitFor(s), ssmc_last_error());
  ssmc_model_info_t info;
  if ((s = ssmc_model_info(g.model, &info)) != SSMC_OK)
    return fail(kRuntime, ssmc_last_error());
  if (!info.has_prefill)
    return fail(kBadFile, o.model + ": artifact has no prefill entry point");
  if (o.maxNewTokens > 1 && !info.has_decode)
    return fail(kBadFile, o.model + ": artifact has no decode entry point");

  const int64_t batch = static_cast<int64_t>(o.prompts.size());
  const int64_t length = static_cast<int64_t>(o.prompts[0].size());
  std::vector<int32_t> tokens;
  for (size_t b = 0; b < o.prompts.size(); ++b)
    for (size_t i = 0; i < o.prompts[b].size(); ++i) {
      int32_t t = o.prompts[b][i];
      if (t >= info.vocab_size)
        return fail(kUsage, "token " + std::to_string(t) + " (sequence " +
                                std::to_string(b) + ", position " + std::to_string(i) +
                                ") is outside the vocabulary [0, " +
                                std::to_string(info.vocab_size) + ")");
      tokens.push_back(t);
    }

  if ((s = ssmc_session_create(g.model, batch, &g.session)) != SSMC_OK)
    return fail(exitFor(s), ssmc_last_error());
  if ((s = ssmc_prefill(g.session, tokens.data(), length)) != SSMC_OK)
    return fail(exitFor(s), ssmc_last_error());

  // The last row of each sequence's logits, whatever the output's rank.
  std::vector<int32_t> next(static_cast<size_t>(batch));
  auto pick = [&](bool dump) -> int {
    const float *data = nullptr;
    int64_t dims[SSMC_MAX_RANK];
    int32_t rank = 0;
    if (ssmc_logits(g.session, &data, dims, &rank) != SSMC_OK)
      return fail(kRuntime, ssmc_last_error());
    int64_t numel = 1;
    for (int32_t i = 0; i < rank; ++i)
      numel *= dims[i];
    if (rank < 2 || dims[0] != batch || dims[rank - 1] != info.padded_vocab_size)
      return fail(kBadFile, o.model + ": logits do not have shape [batch, ..., padded_vocab]");
    if (dump) {
      std::string err;
      if (!ssmc_run::writeNpy(o.dumpLogits, data, std::vector<int64_t>(dims, dims + rank), err))
        return fail(kRuntime, err);
    }
    const int64_t perSeq = numel / batch;
    for (int64_t b = 0; b < batch; ++b)
      next[static_cast<size_t>(b)] =
          argmax(data + b * perSeq + perSeq - info.padded_vocab_size, info.vocab_size);
    return kOk;
  };

  if (int rc = pick(!o.dumpLogits.empty()))
    return rc;
  std::vector<std::vector<int32_t>> generated(static_cast<size_t>(batch));
  for (int64_t step = 0; step < o.maxNewTokens; ++step) {
    for (int64_t b = 0; b < batch; ++b)
      generated[static_cast<size_t>(b)].push_back(next[static_cast<size_t>(b)]);
    if (step + 1 == o.maxNewTokens)
      break; // the last token needs no decode step
    if ((s = ssmc_decode(g.session, next.data())) != SSMC_OK)
      return fail(exitFor(s), ssmc_last_error());
    if (int rc = pick(false))
      return rc;
  }
  for (const auto &row : generated) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += (i ? "," : "") + std::to_string(row[i]);
    std::printf("%s\n", line.c_str());
  }
  return kOk;
}
