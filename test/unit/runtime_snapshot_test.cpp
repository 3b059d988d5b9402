// Per-sequence state snapshots on the toy artifact: save/load round trip,
// forks continue like the original, other sequences untouched, and one clear
// error for each bad call.
#include "runtime_ToyKernels.h"

#include "ssmc/runtime.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace rt_test;

namespace {

class RuntimeSnapshot : public ToyModelTest {
protected:
  static std::vector<float> row(const ssmc::Session &s, int64_t b) {
    ssmc::Logits l = s.logits();
    int64_t v = l.shape.back();
    return std::vector<float>(l.data + b * v, l.data + (b + 1) * v);
  }
};

TEST_F(RuntimeSnapshot, SizeIsHeaderPlusOneSlice) {
  ssmc::Session s(*model_, 3);
  size_t n = 0;
  ASSERT_EQ(ssmc_snapshot_size(s.get(), &n), SSMC_OK);
  EXPECT_EQ(n, 32u + kD * sizeof(float)); // state h is [B, 4] f32
  ssmc::Session one(*model_, 1);
  EXPECT_EQ(one.saveSnapshot(0).size(), n); // independent of the batch
}

TEST_F(RuntimeSnapshot, SaveLoadRollsBackOneSequence) {
  ssmc::Session s(*model_, 2);
  s.prefill({1, 2, 3, 4, 0, 1}, 3);
  auto snap = s.saveSnapshot(1);
  auto before = state(s);
  s.decode({2, 3});
  auto after = row(s, 1);
  s.decode({4, 4}); // move on, then roll sequence 1 back
  auto moved = state(s);
  auto seq0 = std::vector<float>(moved.begin(), moved.begin() + kD);
  s.loadSnapshot(1, snap);
  auto now = state(s);
  EXPECT_EQ(std::vector<float>(now.begin() + kD, now.end()),
            std::vector<float>(before.begin() + kD, before.end()));
  EXPECT_EQ(std::vector<float>(now.begin(), now.begin() + kD), seq0); // untouched
  s.decode({2, 3});
  EXPECT_EQ(row(s, 1), after);
}

TEST_F(RuntimeSnapshot, ForkContinuesLikeTheOriginal) {
  ssmc::Session s(*model_, 2);
  s.prefill({1, 2, 3, 4, 0, 1}, 3);
  auto snap = s.saveSnapshot(1);
  s.decode({2, 3});
  auto original = row(s, 1);

  ssmc::Session f(*model_, 3); // another session, another batch size
  f.fork(snap, {0, 2});
  f.decode({3, 0, 3});
  EXPECT_EQ(row(f, 0), original);
  EXPECT_EQ(row(f, 2), original);
  auto h = state(f);
  ssmc::Session fresh(*model_, 1);
  fresh.decode({0});
  EXPECT_EQ(std::vector<float>(h.begin() + kD, h.begin() + 2 * kD), state(fresh));
}

TEST_F(RuntimeSnapshot, BadCallsGiveOneClearError) {
  ssmc::Session s(*model_, 2);
  s.prefill({1, 2}, 1);
  auto snap = s.saveSnapshot(0);
  auto expect = [](ssmc_status got, ssmc_status want, const std::string &msg) {
    EXPECT_EQ(got, want);
    EXPECT_NE(std::string(ssmc_last_error()).find(msg), std::string::npos) << ssmc_last_error();
  };
  std::vector<uint8_t> buf(snap.size());
  expect(ssmc_snapshot_save(s.get(), 2, buf.data(), buf.size()), SSMC_ERROR_INVALID_ARGUMENT,
         "snapshot: sequence index 2 is outside [0, 2)");
  expect(ssmc_snapshot_save(s.get(), -1, buf.data(), buf.size()), SSMC_ERROR_INVALID_ARGUMENT,
         "sequence index -1");
  expect(ssmc_snapshot_save(s.get(), 0, buf.data(), buf.size() - 1),
         SSMC_ERROR_INVALID_ARGUMENT, "buffer has 47 bytes; this model's snapshots have 48");
  expect(ssmc_snapshot_load(s.get(), 0, nullptr, buf.size()), SSMC_ERROR_INVALID_ARGUMENT,
         "buffer is null");
  auto bad = snap;
  bad[0] = 'X';
  expect(ssmc_snapshot_load(s.get(), 0, bad.data(), bad.size()), SSMC_ERROR_INVALID_ARGUMENT,
         "not an ssmc snapshot");
  bad = snap;
  bad[24] ^= 1; // the layout hash: "another model"
  expect(ssmc_snapshot_load(s.get(), 0, bad.data(), bad.size()), SSMC_ERROR_INVALID_ARGUMENT,
         "different state layout");
  bad = snap;
  bad[8] = 9;
  expect(ssmc_snapshot_load(s.get(), 0, bad.data(), bad.size()), SSMC_ERROR_INVALID_ARGUMENT,
         "snapshot version 9");
  // A fork with one bad index changes nothing.
  auto before = state(s);
  int64_t seqs[] = {0, 5};
  expect(ssmc_snapshot_fork(s.get(), snap.data(), snap.size(), seqs, 2),
         SSMC_ERROR_INVALID_ARGUMENT, "sequences[1] = 5 is outside [0, 2)");
  EXPECT_EQ(state(s), before);
  size_t n;
  expect(ssmc_snapshot_size(nullptr, &n), SSMC_ERROR_INVALID_ARGUMENT, "session is null");
}

TEST(RuntimeSnapshotLayout, StateWithoutLeadingBatchIsUnsupported) {
  TempDir dir;
  json m = toyManifest(false);
  m["state"][0]["shape"] = {kD, "B"};
  std::string path = dir.file("m.ssmc");
  writeFile(path, buildImage(m, {{"weights", toyWeights()}}));
  ssmc::Model model(path);
  ssmc::Session s(model, 2);
  size_t n = 0;
  EXPECT_EQ(ssmc_snapshot_size(s.get(), &n), SSMC_ERROR_UNSUPPORTED);
  EXPECT_NE(std::string(ssmc_last_error()).find("is not laid out as [B, ...]"), std::string::npos)
      << ssmc_last_error();
}

} // namespace
