// One sequence of a batch prefilled alone (ssmc_prefill_sequence) and
// variable-length prefill (ssmc_prefill_varlen) on the toy artifact: the
// sequence's state and next-token logits equal a run of its prompt alone,
// the others are untouched, and bad calls change nothing and say why.
// (Real models against the PyTorch reference: test/Integration.)
#include "runtime_ToyKernels.h"

#include "ssmc/runtime.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <tuple>

using namespace rt_test;

namespace {

class RuntimeSequences : public ToyModelTest {
protected:
  // Sequence b's next-token logits (the last position of its row).
  static std::vector<float> next(const ssmc::Session &s, int64_t b) {
    ssmc::Logits l = s.logits();
    int64_t v = l.shape.back(), perSeq = 1;
    for (size_t i = 1; i < l.shape.size(); ++i)
      perSeq *= l.shape[i];
    const float *end = l.data + (b + 1) * perSeq;
    return std::vector<float>(end - v, end);
  }
  // Sequence b's slice of h.
  static std::vector<float> state(const ssmc::Session &s, int64_t b) {
    std::vector<float> h = ToyModelTest::state(s);
    return std::vector<float>(h.begin() + b * kD, h.begin() + (b + 1) * kD);
  }
  // A prompt run alone in a batch-1 session.
  struct Alone {
    std::vector<float> logits, h;
  };
  Alone alone(const std::vector<int32_t> &prompt) {
    ssmc::Session one(*model_, 1);
    one.prefill(prompt, static_cast<int64_t>(prompt.size()));
    return {next(one, 0), state(one, 0)};
  }
};

TEST_F(RuntimeSequences, VarlenEqualsEachPromptAlone) {
  std::vector<std::vector<int32_t>> prompts{{1, 2, 3}, {4}, {0, 3}};
  ssmc::Session s(*model_, 3);
  s.prefillVarlen(prompts);
  EXPECT_EQ(s.logits().shape, (std::vector<int64_t>{3, kPadded}));
  for (int64_t b = 0; b < 3; ++b) {
    Alone a = alone(prompts[static_cast<size_t>(b)]);
    EXPECT_EQ(next(s, b), a.logits) << "sequence " << b;
    EXPECT_EQ(state(s, b), a.h) << "sequence " << b;
  }
}

TEST_F(RuntimeSequences, OneSequenceLeavesTheOthersAlone) {
  ssmc::Session s(*model_, 3);
  s.prefill({1, 2, 3, 4, 0, 1}, 2);
  s.decode({2, 3, 4});
  std::vector<std::vector<float>> logitsBefore, stateBefore;
  for (int64_t b = 0; b < 3; ++b) {
    logitsBefore.push_back(next(s, b));
    stateBefore.push_back(state(s, b));
  }
  s.prefillSequence(1, {3, 3, 1, 0});
  Alone a = alone({3, 3, 1, 0});
  EXPECT_EQ(next(s, 1), a.logits);
  EXPECT_EQ(state(s, 1), a.h);
  for (int64_t b : {0, 2}) {
    EXPECT_EQ(next(s, b), logitsBefore[static_cast<size_t>(b)]) << "sequence " << b;
    EXPECT_EQ(state(s, b), stateBefore[static_cast<size_t>(b)]) << "sequence " << b;
  }
  // Decoding goes on from there: the newcomer like its prompt + token alone.
  s.decode({1, 2, 1});
  ssmc::Session one(*model_, 1);
  one.prefill({3, 3, 1, 0}, 4);
  one.decode({2});
  EXPECT_EQ(next(s, 1), next(one, 0));
  EXPECT_EQ(s.logits().shape, (std::vector<int64_t>{3, kPadded}));
}

TEST_F(RuntimeSequences, BadCallsChangeNothingAndSayWhy) {
  ssmc::Session s(*model_, 2);
  s.prefill({1, 2, 3, 4}, 2);
  auto h0 = state(s, 0), h1 = state(s, 1);
  auto expect = [](ssmc_status got, ssmc_status want, const std::string &msg) {
    EXPECT_EQ(got, want);
    EXPECT_NE(std::string(ssmc_last_error()).find(msg), std::string::npos) << ssmc_last_error();
  };
  int32_t ok[] = {1, 2}, bad[] = {1, 9};
  expect(ssmc_prefill_sequence(s.get(), 2, ok, 2), SSMC_ERROR_INVALID_ARGUMENT,
         "sequence 2 is outside [0, 2)");
  expect(ssmc_prefill_sequence(s.get(), 0, ok, 0), SSMC_ERROR_INVALID_ARGUMENT,
         "sequence 0: a prompt needs at least one token");
  expect(ssmc_prefill_sequence(s.get(), 1, bad, 2), SSMC_ERROR_BAD_INPUT,
         "token 9 at tokens[1]");
  int32_t tokens[] = {1, 2, 3, 4, 9};
  int64_t lengths[] = {2, 3};
  expect(ssmc_prefill_varlen(s.get(), tokens, lengths), SSMC_ERROR_BAD_INPUT,
         "token 9 (sequence 1, position 2) is outside the vocabulary [0, 5)");
  int64_t empty[] = {0, 5};
  expect(ssmc_prefill_varlen(s.get(), tokens, empty), SSMC_ERROR_INVALID_ARGUMENT,
         "sequence 0 has length 0");
  expect(ssmc_prefill_varlen(s.get(), nullptr, lengths), SSMC_ERROR_INVALID_ARGUMENT,
         "tokens or lengths is null");
  expect(ssmc_prefill_sequence(nullptr, 0, ok, 2), SSMC_ERROR_INVALID_ARGUMENT,
         "session is null");
  EXPECT_EQ(state(s, 0), h0);
  EXPECT_EQ(state(s, 1), h1);
}

// A decode of the first rows: those sequences step exactly as in a decode of
// the whole batch (logits, state, sampled ids), the last keeps its state,
// and the logits then cover the first rows only.
TEST_F(RuntimeSequences, DecodingTheFirstRowsLeavesTheOthersAlone) {
  ssmc::Session s(*model_, 3), whole(*model_, 3);
  for (ssmc::Session *x : {&s, &whole})
    x->prefill({1, 2, 3, 4, 0, 1}, 2);
  const std::vector<float> lastBefore = state(s, 2);
  s.decodeRows({2, 3});
  whole.decode({2, 3, 4});
  EXPECT_EQ(s.logits().shape, (std::vector<int64_t>{2, kPadded}));
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_EQ(next(s, b), next(whole, b)) << "sequence " << b;
    EXPECT_EQ(state(s, b), state(whole, b)) << "sequence " << b;
  }
  EXPECT_EQ(state(s, 2), lastBefore);

  // Sampling takes those rows only; each row draws as in the whole batch.
  ssmc_sampler_params p;
  ssmc_sampler_params_init(&p);
  p.seed = 11;
  ssmc::Sampler mine(p, 3), theirs(p, 3);
  int32_t got[3] = {-7, -7, -7}, want[3];
  mine.sample(s, got);
  theirs.sample(whole, want);
  EXPECT_EQ(got[0], want[0]);
  EXPECT_EQ(got[1], want[1]);
  EXPECT_EQ(got[2], -7);

  // One row, then the whole batch again: each count has its own plan.
  s.decodeRows({1});
  EXPECT_EQ(s.logits().shape, (std::vector<int64_t>{1, kPadded}));
  s.decode({0, 1, 2});
  EXPECT_EQ(s.logits().shape, (std::vector<int64_t>{3, kPadded}));
}

TEST_F(RuntimeSequences, DecodeRowsOutsideTheBatchChangeNothing) {
  ssmc::Session s(*model_, 2);
  s.prefill({1, 2, 3, 4}, 2);
  const std::vector<float> h = ToyModelTest::state(s);
  int32_t tokens[] = {1, 2, 3};
  for (int64_t rows : {0, 3, -1}) {
    EXPECT_EQ(ssmc_decode_rows(s.get(), rows, tokens), SSMC_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(ssmc_last_error()).find("decode rows " + std::to_string(rows) +
                                                  " is outside [1, 2]"),
              std::string::npos)
        << ssmc_last_error();
  }
  int32_t bad[] = {9};
  EXPECT_EQ(ssmc_decode_rows(s.get(), 1, bad), SSMC_ERROR_BAD_INPUT);
  EXPECT_EQ(ToyModelTest::state(s), h);
}

// A sequence copied into another slot, with its sampler row, goes on there
// exactly as in its own: state, logits and sampled ids (a temperature and
// a repetition penalty, so that the RNG stream and the seen set count).
TEST_F(RuntimeSequences, ACopiedSequenceGoesOnAsTheOriginal) {
  ssmc::Session s(*model_, 3);
  s.prefill({1, 2, 3, 4, 0, 1}, 2);
  ssmc_sampler_params p;
  ssmc_sampler_params_init(&p);
  p.seed = 5;
  p.temperature = 50; // the toy's logits are steep: a flat distribution
  p.repetition_penalty = 1.3;
  ssmc::Sampler sampler(p, 3);
  int32_t ids[3];
  sampler.sample(s, ids); // the streams and seen sets now differ by row
  s.decode({ids[0], ids[1], ids[2]});
  s.copySequence(2, 0);
  sampler.copySequence(2, 0);
  EXPECT_EQ(state(s, 0), state(s, 2));
  for (int step = 0; step < 8; ++step) {
    s.decode({ids[2], ids[1], ids[2]});
    EXPECT_EQ(state(s, 0), state(s, 2)) << "step " << step;
    EXPECT_EQ(next(s, 0), next(s, 2)) << "step " << step;
    sampler.sample(s, ids);
    EXPECT_EQ(ids[0], ids[2]) << "step " << step;
  }
  // Copying a sequence onto itself changes nothing.
  const std::vector<float> h1 = state(s, 1);
  s.copySequence(1, 1);
  sampler.copySequence(1, 1);
  EXPECT_EQ(state(s, 1), h1);
}

TEST_F(RuntimeSequences, CopiesOutsideTheBatchChangeNothing) {
  ssmc::Session s(*model_, 2);
  s.prefill({1, 2, 3, 4}, 2);
  const std::vector<float> h = ToyModelTest::state(s);
  ssmc_sampler_params p;
  ssmc_sampler_params_init(&p);
  ssmc::Sampler sampler(p, 2);
  for (auto [from, to, what] : {std::tuple<int64_t, int64_t, const char *>{2, 0, "from = 2"},
                                {0, -1, "to = -1"}}) {
    EXPECT_EQ(ssmc_copy_sequence(s.get(), from, to), SSMC_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(ssmc_last_error()).find(std::string("copy sequence: ") + what +
                                                  " is outside [0, 2)"),
              std::string::npos)
        << ssmc_last_error();
    EXPECT_EQ(ssmc_sampler_copy_sequence(sampler.get(), from, to), SSMC_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(ssmc_last_error()).find(std::string("copy: ") + what +
                                                  " is outside [0, 2)"),
              std::string::npos)
        << ssmc_last_error();
  }
  EXPECT_EQ(ssmc_copy_sequence(nullptr, 0, 1), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ToyModelTest::state(s), h);
}

// The toy artifact's prefill only writes its state (as artifacts compiled
// before prefill could continue): continuing is refused, nothing changes.
TEST_F(RuntimeSequences, ContinuingNeedsAPrefillThatReadsTheState) {
  ssmc::Session s(*model_, 2);
  s.prefill({1, 2, 3, 4}, 2);
  auto h0 = state(s, 0), h1 = state(s, 1);
  ssmc_model_info_t info;
  ASSERT_EQ(ssmc_model_info(model_->get(), &info), SSMC_OK);
  EXPECT_EQ(info.prefill_continues, 0);
  int32_t tokens[] = {1, 2, 3, 4};
  EXPECT_EQ(ssmc_prefill_continue(s.get(), tokens, 2), SSMC_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(ssmc_last_error()).find("prefill cannot continue a sequence"),
            std::string::npos)
      << ssmc_last_error();
  EXPECT_EQ(ssmc_prefill_sequence_continue(s.get(), 1, tokens, 2), SSMC_ERROR_UNSUPPORTED);
  EXPECT_EQ(state(s, 0), h0);
  EXPECT_EQ(state(s, 1), h1);
}

TEST_F(RuntimeSequences, LastPositionLogitsAreTheLastRows) {
  std::vector<int32_t> prompt{1, 2, 3, 4, 0, 1, 3, 2};
  ssmc::Session all(*model_, 2), last(*model_, 2);
  all.prefill(prompt, 4);
  last.setPrefillLogits(SSMC_PREFILL_LOGITS_LAST);
  last.prefill(prompt, 4);
  EXPECT_EQ(all.logits().shape, (std::vector<int64_t>{2, 4, kPadded}));
  EXPECT_EQ(last.logits().shape, (std::vector<int64_t>{2, kPadded}));
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_EQ(next(last, b), next(all, b)) << "sequence " << b;
    EXPECT_EQ(state(last, b), state(all, b)) << "sequence " << b;
  }
  last.decode({2, 3}); // decode is unaffected
  all.decode({2, 3});
  EXPECT_EQ(next(last, 1), next(all, 1));
  EXPECT_EQ(ssmc_session_set_prefill_logits(last.get(), 7), SSMC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ssmc_last_error()).find("prefill logits mode 7"), std::string::npos);
}

TEST(RuntimeSamplerRestart, ANewSequenceSamplesLikeItsSeedAlone) {
  ssmc_sampler_params p;
  ssmc_sampler_params_init(&p);
  p.temperature = 1.0;
  p.repetition_penalty = 1.5;
  std::vector<float> logits(2 * 8);
  for (size_t i = 0; i < logits.size(); ++i)
    logits[i] = 0.25f * float(i % 8);
  ssmc::Sampler batch(p, 2);
  int32_t out[2];
  batch.observe({1, 2, 3, 4}, 2);
  batch.sampleLogits(logits.data(), 8, 5, out); // sequence 1's stream moves on
  batch.restartSequence(1, 77, {4});

  p.seed = 77; // what the newcomer would draw alone with its seed and prompt
  ssmc::Sampler single(p, 1);
  single.observe({4}, 1);
  std::vector<int32_t> got, want;
  for (int i = 0; i < 20; ++i) {
    batch.sampleLogits(logits.data(), 8, 5, out);
    got.push_back(out[1]);
    int32_t one;
    single.sampleLogits(logits.data(), 8, 5, &one);
    want.push_back(one);
  }
  EXPECT_EQ(got, want);

  ssmc_status s = ssmc_sampler_restart_sequence(nullptr, 0, 0, nullptr, 0);
  EXPECT_EQ(s, SSMC_ERROR_INVALID_ARGUMENT);
}

} // namespace
