// End to end on the cpu backend without the compiler: toy kernels with the
// memref-descriptor ABI are compiled with `cc` at test time, packed with the
// writer, and run through the C API and ssmc-run; numbers checked exactly.
#include "runtime_TestUtil.h"
#include "runtime_ToyKernels.h"

#include "ssmc/runtime.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

using namespace rt_test;

namespace {

// Reference: the same arithmetic as the toy schedule, in plain C++.
struct Reference {
  int64_t B;
  std::vector<float> h; // [B, D]
  explicit Reference(int64_t b) : B(b), h(static_cast<size_t>(b * kD), 0.0f) {}

  static std::vector<float> head(const std::vector<float> &x, int64_t rows) {
    std::vector<float> out(static_cast<size_t>(rows * kPadded));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t n = 0; n < kPadded; ++n) {
        float acc = 0;
        for (int64_t k = 0; k < kD; ++k)
          acc += x[r * kD + k] * toyW(n, k);
        out[r * kPadded + n] = acc + toyBias(n);
      }
    return out;
  }
  std::vector<float> prefill(const std::vector<int32_t> &t, int64_t L) {
    std::vector<float> x(static_cast<size_t>(B * L * kD));
    for (int64_t r = 0; r < B * L; ++r)
      for (int64_t j = 0; j < kD; ++j)
        x[r * kD + j] = 10.0f * t[r] + j + (j >= 1 ? 1.0f : 0.0f);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t l = 0; l < L; ++l)
        for (int64_t j = 0; j < kD; ++j)
          h[b * kD + j] += x[(b * L + l) * kD + j];
    return head(x, B * L);
  }
  std::vector<float> decode(const std::vector<int32_t> &t) {
    std::vector<float> x(static_cast<size_t>(B * kD));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < kD; ++j) {
        x[b * kD + j] = 10.0f * t[b] + j + 1.0f;
        h[b * kD + j] += x[b * kD + j];
        x[b * kD + j] += h[b * kD + j];
      }
    return head(x, B);
  }
};

int32_t greedy(const float *row) {
  int32_t best = 0;
  for (int32_t i = 1; i < kVocab; ++i)
    if (row[i] > row[best])
      best = i;
  return best;
}

class RuntimeCpuE2E : public ::testing::Test {
protected:
  void SetUp() override {
    so_ = compileKernels(dir_);
    if (so_.empty())
      GTEST_SKIP() << "no working C compiler (cc): cannot build the toy kernels";
    path_ = dir_.file("toy.ssmc");
    writeFile(path_, buildImage(toyManifest(true), {{"weights", toyWeights()}, {"host.so", so_}}));
  }
  TempDir dir_;
  std::vector<uint8_t> so_;
  std::string path_;
};

std::vector<float> asVector(const ssmc::Logits &l) {
  size_t n = 1;
  for (int64_t d : l.shape)
    n *= static_cast<size_t>(d);
  return std::vector<float>(l.data, l.data + n);
}

TEST_F(RuntimeCpuE2E, PrefillDecodeAndStateMatchReference) {
  ssmc::Model model(path_);
  EXPECT_EQ(model.stateNames(), std::vector<std::string>{"h"});
  ssmc::Session s(model, 2);
  Reference ref(2);

  std::vector<int32_t> prompt = {1, 2, 3, 4, 0, 1};
  s.prefill(prompt, 3);
  ssmc::Logits l = s.logits();
  EXPECT_EQ(l.shape, (std::vector<int64_t>{2, 3, kPadded}));
  EXPECT_EQ(asVector(l), ref.prefill(prompt, 3));

  std::vector<float> h(ref.h.size());
  auto bytes = s.readState("h");
  std::memcpy(h.data(), bytes.data(), bytes.size());
  EXPECT_EQ(h, ref.h);

  for (std::vector<int32_t> t : {std::vector<int32_t>{2, 3}, std::vector<int32_t>{4, 0}}) {
    s.decode(t);
    l = s.logits();
    EXPECT_EQ(l.shape, (std::vector<int64_t>{2, kPadded}));
    EXPECT_EQ(asVector(l), ref.decode(t));
  }

  // set state: overwrite h, decode, compare.
  for (size_t i = 0; i < ref.h.size(); ++i)
    ref.h[i] = static_cast<float>(i);
  std::vector<uint8_t> hb(ref.h.size() * 4);
  std::memcpy(hb.data(), ref.h.data(), hb.size());
  s.writeState("h", hb);
  s.decode({1, 1});
  EXPECT_EQ(asVector(s.logits()), ref.decode({1, 1}));

  // A second prefill length gets its own plan; the first is still cached.
  std::vector<int32_t> p2 = {3, 3};
  s.reset();
  Reference ref2(2);
  s.prefill(p2, 1);
  EXPECT_EQ(asVector(s.logits()), ref2.prefill(p2, 1));
  s.reset();
  Reference ref3(2);
  s.prefill(prompt, 3);
  EXPECT_EQ(asVector(s.logits()), ref3.prefill(prompt, 3));

  try {
    s.prefill({1, 9}, 1);
    FAIL();
  } catch (const ssmc::RuntimeError &e) {
    EXPECT_EQ(e.code(), ssmc::ErrorCode::BadInput);
    EXPECT_NE(std::string(e.what()).find("token 9 at tokens[1] (batch 1, position 0)"),
              std::string::npos);
  }
}

TEST_F(RuntimeCpuE2E, TwoModelsLoadedAtOnce) {
  // Each model gets its own dlopen'ed image even with identical bytes.
  ssmc::Model a(path_), b(path_, /*verifyChecksums=*/false);
  ssmc::Session sa(a, 1), sb(b, 1);
  sa.prefill({2}, 1);
  sb.prefill({2}, 1);
  EXPECT_EQ(asVector(sa.logits()), asVector(sb.logits()));
}

TEST_F(RuntimeCpuE2E, SymbolMissingFromImage) {
  json m = toyManifest(true);
  m["kernels"]["cpu"]["symbols"].push_back("toy_missing");
  writeFile(path_, buildImage(m, {{"weights", toyWeights()}, {"host.so", so_}}));
  std::string msg;
  EXPECT_EQ(tryLoad(path_, msg), SSMC_ERROR_BAD_ARTIFACT);
  EXPECT_EQ(msg, path_ + ": section 'host.so': kernel symbol \"toy_missing\" is not "
                         "defined in the kernel image");
}

TEST_F(RuntimeCpuE2E, ViewOutOfBoundsOnlyForLargerBatch) {
  // A view of B*B rows fits B=1 but not B=2: caught when the plan is bound.
  json m = toyManifest(true);
  m["entry_points"]["decode"]["steps"][1]["args"][0] = {
      {"buffer", 1}, {"shape", {"B*B", kD}}};
  writeFile(path_, buildImage(m, {{"weights", toyWeights()}, {"host.so", so_}}));
  ssmc::Model model(path_);
  ssmc::Session s(model, 2);
  try {
    s.decode({1, 1});
    FAIL();
  } catch (const ssmc::RuntimeError &e) {
    EXPECT_EQ(e.code(), ssmc::ErrorCode::BadArtifact);
    EXPECT_NE(std::string(e.what()).find(
                  "entry_points.decode.steps[1].args[0]: view reaches element 15 of a "
                  "buffer with 8 elements (B=2)"),
              std::string::npos)
        << e.what();
  }
}

// Runs ssmc-run; returns its exit code and stdout+stderr.
int runTool(const std::string &args, std::string &out) {
  std::string cmd = std::string(SSMC_RUN_EXE) + " " + args + " 2>&1";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return -1;
  std::array<char, 4096> buf;
  out.clear();
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F(RuntimeCpuE2E, SsmcRunGreedyAndDumpLogits) {
  std::vector<int32_t> prompt = {1, 2, 3, 4, 0, 1};
  Reference ref(2);
  std::vector<float> pre = ref.prefill(prompt, 3);
  std::vector<std::vector<int32_t>> gen(2);
  std::vector<int32_t> next = {greedy(&pre[2 * kPadded]), greedy(&pre[5 * kPadded])};
  for (int step = 0; step < 3; ++step) {
    gen[0].push_back(next[0]);
    gen[1].push_back(next[1]);
    if (step == 2)
      break;
    std::vector<float> d = ref.decode(next);
    next = {greedy(&d[0]), greedy(&d[kPadded])};
  }
  auto line = [](const std::vector<int32_t> &v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i)
      s += (i ? "," : "") + std::to_string(v[i]);
    return s + "\n";
  };

  std::string out;
  std::string npy = dir_.file("logits.npy");
  ASSERT_EQ(runTool("'" + path_ + "' --batch-tokens '1,2,3;4,0,1' --max-new-tokens 3 "
                    "--threads 1 --dump-logits '" + npy + "'", out), 0) << out;
  EXPECT_EQ(out, line(gen[0]) + line(gen[1]));

  std::vector<uint8_t> file = readBytes(npy);
  ASSERT_GE(file.size(), 128u);
  EXPECT_EQ(std::memcmp(file.data(), "\x93NUMPY\x01\x00", 8), 0);
  size_t hlen = file[8] | (file[9] << 8);
  EXPECT_EQ((10 + hlen) % 64, 0u);
  std::string header(file.begin() + 10, file.begin() + 10 + static_cast<long>(hlen));
  EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 8), }", 0), 0u)
      << header;
  EXPECT_EQ(header.back(), '\n');
  ASSERT_EQ(file.size(), 10 + hlen + pre.size() * 4);
  std::vector<float> data(pre.size());
  std::memcpy(data.data(), file.data() + 10 + hlen, pre.size() * 4);
  EXPECT_EQ(data, pre);

  ASSERT_EQ(runTool("'" + path_ + "' --tokens 1 --max-new-tokens 0", out), 0) << out;
  EXPECT_EQ(out, "\n");
  EXPECT_EQ(runTool("'" + path_ + "' --tokens 1,7", out), 1);
  EXPECT_NE(out.find("token 7 (sequence 0, position 1) is outside the vocabulary [0, 5)"),
            std::string::npos) << out;
  EXPECT_EQ(runTool("'" + path_ + "' --tokens 1 --no-verify --max-new-tokens 2", out), 0) << out;
  EXPECT_EQ(runTool("'" + path_ + "' --tokens 1 --dump-logits /nonexistent/x.npy", out), 3);
  EXPECT_NE(out.find("/nonexistent/x.npy: cannot open for writing"), std::string::npos) << out;
}

} // namespace
