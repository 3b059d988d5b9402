// ssmc-run: load a compiled model, prefill prompts, generate (greedy or
// sampled, via ssmc_generate), print the ids or a JSON report; or score a
// file (--perplexity), or chat on stdin (--interactive). Exit codes:
// 0 ok, 1 usage/bad input, 2 bad input file or artifact, 3 runtime failure
// (see kUsage and docs/cli.md).
#include "args.h"
#include "continuous.h"
#include "npy.h"
#include "perplexity.h"
#include "report.h"
#include "requests.h"

#include "ssmc/runtime.h"

#include <chrono>
#include <cstdio>
#include <cmath>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

enum Exit { kOk = 0, kUsage = 1, kBadFile = 2, kRuntime = 3 };
using Clock = std::chrono::steady_clock;

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

double msSince(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Handles {
  ssmc_model *model = nullptr;
  ssmc_session *session = nullptr;
  ~Handles() {
    ssmc_session_free(session);
    ssmc_model_free(model);
  }
};

// State shared with the per-step callback of one ssmc_generate call.
struct StepContext {
  ssmc_session *session = nullptr;
  const std::string *dumpPath = nullptr; // dump the prompt logits at step 0
  ssmc_detokenizer *detok = nullptr;     // --prompt: stream sequence 0's text
  Clock::time_point start, first, last;
  int64_t decodeTokens = 0;
  int64_t decodeRows = 0;
  int rc = kOk;
  std::string error;
};

int dumpLogits(ssmc_session *s, const std::string &path, std::string &error) {
  const float *data = nullptr;
  int64_t dims[SSMC_MAX_RANK];
  int32_t rank = 0;
  if (ssmc_logits(s, &data, dims, &rank) != SSMC_OK) {
    error = ssmc_last_error();
    return kRuntime;
  }
  return ssmc_run::writeNpy(path, data, std::vector<int64_t>(dims, dims + rank), error)
             ? kOk
             : kRuntime;
}

// Writes the text completed by `id` (or the held tail when id < 0).
int streamText(ssmc_detokenizer *d, int32_t id, std::string &error) {
  char buf[256];
  size_t n = 0;
  ssmc_status s = id >= 0 ? ssmc_detokenizer_push(d, id, buf, sizeof buf, &n)
                          : ssmc_detokenizer_finish(d, buf, sizeof buf, &n);
  if (s != SSMC_OK) {
    error = ssmc_last_error();
    return exitFor(s);
  }
  std::fwrite(buf, 1, n, stdout);
  std::fflush(stdout);
  return kOk;
}

int onStep(void *user, int64_t step, const int32_t *tokens, int64_t batch) {
  auto *c = static_cast<StepContext *>(user);
  c->last = Clock::now();
  if (c->detok && tokens[0] >= 0 && (c->rc = streamText(c->detok, tokens[0], c->error)) != kOk)
    return 1;
  if (step == 0) {
    c->first = c->last;
    if (c->dumpPath && (c->rc = dumpLogits(c->session, *c->dumpPath, c->error)) != kOk)
      return 1;
    return 0;
  }
  for (int64_t b = 0; b < batch; ++b)
    c->decodeTokens += tokens[b] >= 0;
  c->decodeRows += batch; // every row decodes, finished ones too
  return 0;
}

// Runs the prompts of one length as one session; fills their results.
int runGroup(const ssmc_run::Options &o, ssmc_model *model, ssmc_detokenizer *detok, const std::vector<size_t> &members,
             const std::vector<std::vector<int32_t>> &prompts,
             std::vector<ssmc_run::SequenceResult> &results, ssmc_run::Timings &t) {
  const int64_t batch = static_cast<int64_t>(members.size());
  const int64_t length = static_cast<int64_t>(prompts[members[0]].size());
  std::vector<int32_t> tokens;
  std::vector<uint64_t> seeds;
  for (size_t m : members) {
    tokens.insert(tokens.end(), prompts[m].begin(), prompts[m].end());
    seeds.push_back(o.seed + m); // sequence i of the whole run uses seed + i
  }
  Handles h; // the session only; the model is the caller's
  ssmc_status s = ssmc_session_create(model, batch, &h.session);
  if (s != SSMC_OK)
    return fail(exitFor(s), ssmc_last_error());

  // Generation needs each sequence's last-position logits only; --dump-logits
  // wants them all.
  if (o.dumpLogits.empty() &&
      (s = ssmc_session_set_prefill_logits(h.session, SSMC_PREFILL_LOGITS_LAST)) != SSMC_OK)
    return fail(exitFor(s), ssmc_last_error());

  StepContext ctx;
  ctx.session = h.session;
  ctx.dumpPath = o.dumpLogits.empty() ? nullptr : &o.dumpLogits;
  ctx.detok = detok;
  ctx.start = ctx.first = ctx.last = Clock::now();
  std::vector<int32_t> out(static_cast<size_t>(batch * o.maxNewTokens));
  std::vector<int64_t> counts(static_cast<size_t>(batch));
  if (o.maxNewTokens == 0) {
    // Nothing to generate; still prefill (for --dump-logits and errors).
    if ((s = ssmc_prefill(h.session, tokens.data(), length)) != SSMC_OK)
      return fail(exitFor(s), ssmc_last_error());
    ctx.first = Clock::now();
    if (ctx.dumpPath && dumpLogits(h.session, o.dumpLogits, ctx.error) != kOk)
      return fail(kRuntime, ctx.error);
  } else {
    const ssmc_run::Settings flags = ssmc_run::settingsFor(o, nullptr, 0);
    ssmc_sampler_params p = ssmc_run::samplerParams(flags);
    p.seeds = seeds.data();
    s = ssmc_generate(h.session, tokens.data(), length, &p, out.data(), counts.data(), onStep,
                      &ctx);
    if (ctx.rc != kOk)
      return fail(ctx.rc, ctx.error);
    if (s != SSMC_OK)
      return fail(exitFor(s), ssmc_last_error());
  }
  t.prefillMs += msSince(ctx.start, ctx.first);
  t.decodeMs += msSince(ctx.first, ctx.last);
  t.decodeTokens += ctx.decodeTokens;
  t.decodeRows += ctx.decodeRows;
  t.groups += 1;
  for (size_t i = 0; i < members.size(); ++i) {
    ssmc_run::SequenceResult &r = results[members[i]];
    r.promptLength = static_cast<size_t>(length);
    const int32_t *row = out.data() + static_cast<int64_t>(i) * o.maxNewTokens;
    r.tokens.assign(row, row + (o.maxNewTokens ? counts[i] : 0));
    for (int32_t st : o.stopTokens)
      r.stopped = r.stopped || (!r.tokens.empty() && r.tokens.back() == st);
  }
  return kOk;
}

// --prompt: the model's tokenizer turns the text into the one prompt.
int tokenizePrompt(ssmc_model *model, ssmc_run::Options &o, std::string &error) {
  if (!ssmc_model_has_tokenizer(model)) {
    error = "--prompt: " + o.model + " carries no tokenizer; pass token ids with --tokens";
    return kUsage;
  }
  size_t count = 0;
  ssmc_tokenize(model, o.promptText.data(), o.promptText.size(), nullptr, 0, &count);
  std::vector<int32_t> ids(count);
  ssmc_status s = ssmc_tokenize(model, o.promptText.data(), o.promptText.size(), ids.data(),
                                ids.size(), &count);
  if (s != SSMC_OK) {
    error = std::string("--prompt: ") + ssmc_last_error();
    return exitFor(s);
  }
  if (count == 0) {
    error = "--prompt: the text gives no tokens";
    return kUsage;
  }
  o.prompts.assign(1, std::vector<int32_t>(ids.begin(), ids.begin() + static_cast<long>(count)));
  return kOk;
}

bool readFile(const std::string &path, std::string &out) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream text;
  if (!f || !(text << f.rdbuf()))
    return false;
  out = text.str();
  return true;
}

// Text -> ids with the model's tokenizer; `what` prefixes errors.
int tokenizeText(ssmc_model *model, const std::string &text, const std::string &what,
                 std::vector<int32_t> &ids, std::string &error) {
  size_t count = 0;
  ssmc_tokenize(model, text.data(), text.size(), nullptr, 0, &count);
  ids.assign(count, 0);
  ssmc_status s = ssmc_tokenize(model, text.data(), text.size(), ids.data(), ids.size(), &count);
  if (s != SSMC_OK) {
    error = what + ": " + ssmc_last_error();
    return exitFor(s);
  }
  ids.resize(count);
  return kOk;
}

std::string checkVocab(const std::vector<int32_t> &ids, int64_t vocab) {
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] >= vocab)
      return "token " + std::to_string(ids[i]) + " (position " + std::to_string(i) +
             ") is outside the vocabulary [0, " + std::to_string(vocab) + ")";
  return "";
}

// The prompts of --batch-file's requests: their ids, or their text through
// the model's tokenizer; ids and stop tokens inside the vocabulary. Errors
// name the file and line.
int requestPrompts(ssmc_model *model, const ssmc_model_info_t &info, ssmc_run::Options &o,
                   const std::vector<ssmc_run::Request> &requests, std::string &error) {
  if (requests.empty())
    return kOk;
  o.prompts.clear();
  for (const ssmc_run::Request &r : requests) {
    const std::string where = o.batchFile + ":" + std::to_string(r.line);
    std::vector<int32_t> ids = r.tokens;
    if (r.text) {
      if (!ssmc_model_has_tokenizer(model)) {
        error = where + ": \"prompt\": " + o.model +
                " carries no tokenizer; give the ids as \"tokens\"";
        return kUsage;
      }
      if (int rc = tokenizeText(model, *r.text, where, ids, error))
        return rc;
      if (ids.empty()) {
        error = where + ": \"prompt\": the text gives no tokens";
        return kUsage;
      }
    }
    std::string bad = checkVocab(ids, info.vocab_size);
    if (bad.empty() && r.stopTokens)
      for (int32_t id : *r.stopTokens)
        if (id >= info.vocab_size && bad.empty())
          bad = "\"stop_tokens\": " + std::to_string(id) + " is outside the vocabulary [0, " +
                std::to_string(info.vocab_size) + ")";
    if (!bad.empty()) {
      error = where + ": " + bad;
      return kUsage;
    }
    o.prompts.push_back(std::move(ids));
  }
  return kOk;
}

std::string real(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// --perplexity / --perplexity-tokens: teacher forcing, one prefill per window.
int runPerplexity(const ssmc_run::Options &o, ssmc_model *model,
                  const ssmc_model_info_t &info) {
  const bool fromText = !o.perplexityText.empty();
  const std::string &path = fromText ? o.perplexityText : o.perplexityTokens;
  const std::string flag = fromText ? "--perplexity" : "--perplexity-tokens";
  std::string text, error;
  if (!readFile(path, text))
    return fail(kBadFile, path + ": cannot read the file");
  std::vector<int32_t> ids;
  if (fromText) {
    if (!ssmc_model_has_tokenizer(model))
      return fail(kUsage, flag + ": " + o.model +
                              " carries no tokenizer; tokenize the text yourself and pass "
                              "the ids with --perplexity-tokens");
    if (int rc = tokenizeText(model, text, flag, ids, error))
      return fail(rc, error);
  } else if (!ssmc_run::parseTokenFile(text, path, ids, error)) {
    return fail(kUsage, error);
  }
  if (ids.size() < 2)
    return fail(kUsage, path + ": " + std::to_string(ids.size()) +
                            " token(s); scoring needs at least 2");
  std::string bad = checkVocab(ids, info.vocab_size);
  if (!bad.empty())
    return fail(kUsage, path + ": " + bad);

  Handles h;
  ssmc_status s = ssmc_session_create(model, 1, &h.session);
  if (s != SSMC_OK)
    return fail(exitFor(s), ssmc_last_error());
  ssmc_run::PerplexityTotals totals;
  auto windows = ssmc_run::perplexityWindows(int64_t(ids.size()), o.context);
  Clock::time_point start = Clock::now();
  for (const ssmc_run::Window &w : windows) {
    // Each window starts from the empty state: prefill writes it afresh.
    if ((s = ssmc_prefill(h.session, ids.data() + w.start, w.length)) != SSMC_OK)
      return fail(exitFor(s), ssmc_last_error());
    const float *logits = nullptr;
    int64_t dims[SSMC_MAX_RANK];
    int32_t rank = 0;
    if ((s = ssmc_logits(h.session, &logits, dims, &rank)) != SSMC_OK)
      return fail(exitFor(s), ssmc_last_error());
    if (rank != 3 || dims[0] != 1 || dims[1] != w.length || dims[2] < info.vocab_size)
      return fail(kBadFile, o.model + ": prefill logits are not [1, L, padded_vocab]");
    if (!ssmc_run::addWindowNll(logits, dims[2], info.vocab_size, ids.data() + w.start,
                                w.length, totals, error))
      return fail(kRuntime, "window at token " + std::to_string(w.start) + ": " + error);
  }
  double ms = msSince(start, Clock::now());

  if (o.json) {
    std::string j = "{\"model\": " + ssmc_run::jsonString(o.model) + ", \"device\": " + ssmc_run::jsonString(o.device) + ", " +
                    "\"file\": " + ssmc_run::jsonString(path) + ", \"input\": \"" +
                    (fromText ? "text" : "tokens") + "\", \"tokens\": " +
                    std::to_string(ids.size()) + ", \"scored_tokens\": " +
                    std::to_string(totals.predicted) + ", \"context\": " +
                    std::to_string(o.context) + ", \"windows\": " +
                    std::to_string(windows.size()) + ", \"nll_nats\": " + real(totals.nllNats) +
                    ", \"perplexity\": " + real(totals.perplexity()) +
                    ", \"bits_per_token\": " + real(totals.bitsPerToken());
    if (fromText)
      j += ", \"bytes\": " + std::to_string(text.size()) +
           ", \"bits_per_byte\": " + real(totals.bitsPerByte(text.size()));
    j += ", \"time_ms\": " + real(ms) + "}\n";
    std::fputs(j.c_str(), stdout);
    return kOk;
  }
  std::printf("perplexity:     %.6f\n", totals.perplexity());
  std::printf("bits per token: %.6f\n", totals.bitsPerToken());
  if (fromText)
    std::printf("bits per byte:  %.6f  (%zu bytes)\n", totals.bitsPerByte(text.size()),
                text.size());
  std::printf("tokens:         %zu (%lld scored, %zu window(s) of at most %lld)\n", ids.size(),
              static_cast<long long>(totals.predicted), windows.size(),
              static_cast<long long>(o.context));
  return kOk;
}

// Writes one generated id: text through the detokenizer, or "id," lists.
int emitToken(ssmc_detokenizer *detok, int32_t id, bool first, std::string &error) {
  if (detok)
    return streamText(detok, id, error);
  std::printf(first ? "%d" : ",%d", id);
  std::fflush(stdout);
  return kOk;
}

// --interactive: one turn per stdin line. Turns share the session: a turn
// feeds the previous turn's last (not yet decoded) token and its own tokens
// through a prefill that continues from the state, so the model sees the
// whole conversation at prefill speed. Artifacts from before prefill could
// continue take those tokens through decode steps instead.
int runInteractive(const ssmc_run::Options &o, ssmc_model *model,
                   const ssmc_model_info_t &info) {
  Handles h;
  ssmc_status s = ssmc_session_create(model, 1, &h.session);
  if (s == SSMC_OK)
    s = ssmc_session_set_prefill_logits(h.session, SSMC_PREFILL_LOGITS_LAST);
  if (s != SSMC_OK)
    return fail(exitFor(s), ssmc_last_error());
  // Seed o.seed: the stream of sequence 0 of a --prompt run with the same seed.
  const ssmc_run::Settings flags = ssmc_run::settingsFor(o, nullptr, 0);
  ssmc_sampler_params p = ssmc_run::samplerParams(flags);
  std::unique_ptr<ssmc_sampler, void (*)(ssmc_sampler *)> sampler(nullptr, ssmc_sampler_free);
  ssmc_sampler *raw = nullptr;
  if ((s = ssmc_sampler_create(&p, 1, &raw)) != SSMC_OK)
    return fail(exitFor(s), ssmc_last_error());
  sampler.reset(raw);
  std::unique_ptr<ssmc_detokenizer, void (*)(ssmc_detokenizer *)> detok(nullptr,
                                                                       ssmc_detokenizer_free);
  if (ssmc_model_has_tokenizer(model)) {
    ssmc_detokenizer *d = nullptr;
    if ((s = ssmc_detokenizer_create(model, &d)) != SSMC_OK)
      return fail(exitFor(s), ssmc_last_error());
    detok.reset(d);
  }

  bool fresh = true;   // no state yet: the turn prefills
  int32_t pending = -1; // last emitted id, not yet fed to the model
  int rc = kOk;         // a rejected line makes the exit status 1, later turns still run
  std::string line, error;
  for (int64_t lineNo = 1;; ++lineNo) {
    std::fputs("> ", stderr);
    std::fflush(stderr);
    if (!std::getline(std::cin, line))
      break;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty() || line == "/quit")
      break;
    std::vector<int32_t> ids;
    const std::string where = "stdin:" + std::to_string(lineNo);
    if (detok) {
      if (int r = tokenizeText(model, line, where, ids, error)) {
        fail(r, error);
        rc = kUsage;
        continue;
      }
    } else {
      auto parsed = ssmc_run::parseTokenList(line, error);
      if (!parsed) {
        fail(kUsage, where + ": " + error + " (this model has no tokenizer: type token ids)");
        rc = kUsage;
        continue;
      }
      ids = std::move(*parsed);
    }
    std::string bad = ids.empty() ? "the line gives no tokens" : checkVocab(ids, info.vocab_size);
    if (!bad.empty()) {
      fail(kUsage, where + ": " + bad);
      rc = kUsage;
      continue;
    }
    if (o.resetEachTurn && !fresh) {
      if ((s = ssmc_session_reset(h.session)) != SSMC_OK ||
          (s = ssmc_sampler_reset(sampler.get())) != SSMC_OK)
        return fail(exitFor(s), ssmc_last_error());
      fresh = true;
      pending = -1;
    }
    if (fresh) {
      s = ssmc_prefill(h.session, ids.data(), int64_t(ids.size()));
    } else if (info.prefill_continues) {
      std::vector<int32_t> turn;
      if (pending >= 0)
        turn.push_back(pending);
      turn.insert(turn.end(), ids.begin(), ids.end());
      s = ssmc_prefill_continue(h.session, turn.data(), int64_t(turn.size()));
    } else {
      if (pending >= 0)
        s = ssmc_decode(h.session, &pending);
      for (size_t i = 0; s == SSMC_OK && i < ids.size(); ++i)
        s = ssmc_decode(h.session, &ids[i]);
    }
    if (s != SSMC_OK || (s = ssmc_sampler_observe(sampler.get(), ids.data(),
                                                  int64_t(ids.size()))) != SSMC_OK)
      return fail(exitFor(s), ssmc_last_error());
    fresh = false;
    pending = -1;
    for (int64_t step = 0; step < o.maxNewTokens; ++step) {
      if (step > 0 && (s = ssmc_decode(h.session, &pending)) != SSMC_OK)
        return fail(exitFor(s), ssmc_last_error());
      if ((s = ssmc_sample(sampler.get(), h.session, &pending)) != SSMC_OK)
        return fail(exitFor(s), ssmc_last_error());
      if (int r = emitToken(detok.get(), pending, step == 0, error))
        return fail(r, error);
      bool stop = false;
      for (int32_t st : o.stopTokens)
        stop = stop || pending == st;
      if (stop)
        break;
    }
    if (detok) {
      if (int r = streamText(detok.get(), -1, error))
        return fail(r, error);
    }
    std::fputs("\n", stdout);
    std::fflush(stdout);
  }
  std::fputs("\n", stderr); // end the last "> " line
  return rc;
}

} // namespace

int main(int argc, char **argv) {
  std::string error;
  auto parsed = ssmc_run::parseArgs(argc, argv, error);
  if (!parsed) {
    std::fprintf(stderr, "ssmc-run: error: %s\n(see ssmc-run --help)\n", error.c_str());
    return kUsage;
  }
  ssmc_run::Options o = *parsed;
  if (o.help) {
    std::fputs(ssmc_run::kUsage, stdout);
    return kOk;
  }
  std::vector<ssmc_run::Request> requests; // --batch-file's, one per prompt
  if (!o.batchFile.empty()) {
    std::string text;
    if (!readFile(o.batchFile, text))
      return fail(kBadFile, o.batchFile + ": cannot read the prompt file");
    auto parsed = ssmc_run::parseBatchFile(text, o.batchFile, error);
    if (!parsed)
      return fail(kUsage, error);
    requests = std::move(*parsed);
  }

  Handles g;
  ssmc_load_options lo;
  ssmc_load_options_init(&lo);
  lo.verify_checksums = o.verify;
  lo.num_threads = o.threads;
  lo.device = o.device == "cuda" ? SSMC_DEVICE_CUDA
              : o.device == "cpu" ? SSMC_DEVICE_CPU
                                  : SSMC_DEVICE_AUTO;
  ssmc_status s = ssmc_model_load(o.model.c_str(), &lo, &g.model);
  if (s != SSMC_OK)
    return fail(exitFor(s), ssmc_last_error());
  ssmc_model_info_t info;
  if ((s = ssmc_model_info(g.model, &info)) != SSMC_OK)
    return fail(kRuntime, ssmc_last_error());
  o.device = info.device; // what "auto" resolved to, for the reports
  if (!info.has_prefill)
    return fail(kBadFile, o.model + ": artifact has no prefill entry point");
  const bool perplexity = !o.perplexityText.empty() || !o.perplexityTokens.empty();
  if (((o.maxNewTokens > 1 && !perplexity) || o.interactive) && !info.has_decode)
    return fail(kBadFile, o.model + ": artifact has no decode entry point");

  for (int32_t st : o.stopTokens)
    if (st >= info.vocab_size)
      return fail(kUsage, "--stop-tokens: " + std::to_string(st) +
                              " is outside the vocabulary [0, " +
                              std::to_string(info.vocab_size) + ")");
  if (perplexity)
    return runPerplexity(o, g.model, info);
  if (o.interactive)
    return runInteractive(o, g.model, info);

  std::unique_ptr<ssmc_detokenizer, void (*)(ssmc_detokenizer *)> detok(nullptr,
                                                                       ssmc_detokenizer_free);
  if (!o.promptText.empty()) {
    if (int rc = tokenizePrompt(g.model, o, error))
      return fail(rc, error);
    ssmc_detokenizer *d = nullptr;
    if (!o.json && (s = ssmc_detokenizer_create(g.model, &d)) != SSMC_OK)
      return fail(exitFor(s), ssmc_last_error());
    detok.reset(d);
  }
  if (int rc = requestPrompts(g.model, info, o, requests, error))
    return fail(rc, error);
  for (size_t b = 0; b < o.prompts.size(); ++b)
    for (size_t i = 0; i < o.prompts[b].size(); ++i)
      if (o.prompts[b][i] >= info.vocab_size)
        return fail(kUsage, "token " + std::to_string(o.prompts[b][i]) + " (sequence " +
                                std::to_string(b) + ", position " + std::to_string(i) +
                                ") is outside the vocabulary [0, " +
                                std::to_string(info.vocab_size) + ")");

  // Prompts of one length that fit the batch prefill together; anything
  // else goes through batch slots, each prompt prefilled alone into its slot.
  std::vector<ssmc_run::SequenceResult> results(o.prompts.size());
  ssmc_run::Timings t;
  const int64_t prompts = static_cast<int64_t>(o.prompts.size());
  // --max-batch, else the artifact's limit (ssmc-compile --max-batch), else
  // one slot per prompt.
  int64_t slots = o.maxBatch > 0 ? std::min(o.maxBatch, prompts) : prompts;
  if (info.max_batch > 0 && slots > info.max_batch) {
    if (o.maxBatch > 0)
      return fail(kUsage, "--max-batch " + std::to_string(o.maxBatch) + ": " + o.model +
                              " was compiled for at most " + std::to_string(info.max_batch) +
                              " sequences per session");
    slots = info.max_batch;
  }
  // Prompt i's settings: the command line's, or its request's over them.
  std::vector<ssmc_run::Settings> settings;
  bool ownSettings = false;
  for (size_t i = 0; i < o.prompts.size(); ++i) {
    const ssmc_run::Request *r = requests.empty() ? nullptr : &requests[i];
    settings.push_back(ssmc_run::settingsFor(o, r, i));
    if (r && r->ownSettings()) {
      results[i].own = settings.back();
      ownSettings = true;
    }
  }
  bool oneLength = true;
  for (const auto &p : o.prompts)
    oneLength = oneLength && p.size() == o.prompts[0].size();
  if (oneLength && slots == prompts && !ownSettings) {
    std::vector<size_t> all(o.prompts.size());
    for (size_t i = 0; i < all.size(); ++i)
      all[i] = i;
    if (int rc = runGroup(o, g.model, detok.get(), all, o.prompts, results, t))
      return rc;
  } else {
    if (!o.dumpLogits.empty())
      return fail(kUsage, "--dump-logits needs prompts of one length decoded in one batch "
                          "(no --max-batch below the number of prompts, no request with "
                          "settings of its own)");
    if ((s = ssmc_run::runContinuous(g.model, o.prompts, settings, slots, results, t)) !=
        SSMC_OK)
      return fail(exitFor(s), ssmc_last_error());
  }
  if (detok) {
    if (int rc = streamText(detok.get(), -1, error))
      return fail(rc, error);
    if (!o.json) {
      std::fputs("\n", stdout);
      return kOk;
    }
  }
  std::string report = o.json ? ssmc_run::jsonReport(o, results, t) : ssmc_run::textReport(results);
  std::fputs(report.c_str(), stdout);
  return kOk;
}
