// The cuda backend (runtime/src/cuda) through the Backend interface.
//
// Without a GPU (CI) only the "CUDA cannot be used" behaviour runs; every
// device test skips, saying why. The kernels are hand-written PTX packed
// into small artifacts, so no compiler is needed.
#include "backend.h"
#include "manifest.h"

#include "ssmc/artifact.h"
#include "ssmc/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <random>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using namespace ssmc;

// Two kernels over rank-1 f32 memrefs, each passed as its five descriptor
// words (allocated, aligned, offset, size, stride) like MLIR's NVVM lowering:
//   ssmc_test_double(x):          x[i] *= 2 for i < size(x)
//   ssmc_test_scaled_copy(y, x):  y[i] = 2 * x[i] for i < size(x)
// where v[i] is aligned[offset + i * stride]; one thread per element.
const char kPtx[] = R"(.version 8.0
.target sm_90
.address_size 64

.visible .entry ssmc_test_double(
  .param .u64 x_allocated,
  .param .u64 x_aligned,
  .param .u64 x_offset,
  .param .u64 x_size,
  .param .u64 x_stride)
{
  .reg .pred %p<2>;
  .reg .b32 %r<4>;
  .reg .b64 %rd<12>;
  .reg .f32 %f<3>;

  ld.param.u64 %rd1, [x_aligned];
  ld.param.u64 %rd2, [x_offset];
  ld.param.u64 %rd3, [x_size];
  ld.param.u64 %rd4, [x_stride];
  mov.u32 %r1, %ctaid.x;
  mov.u32 %r2, %ntid.x;
  mov.u32 %r3, %tid.x;
  cvt.u64.u32 %rd5, %r1;
  cvt.u64.u32 %rd6, %r2;
  cvt.u64.u32 %rd7, %r3;
  mad.lo.u64 %rd8, %rd5, %rd6, %rd7;
  setp.ge.u64 %p1, %rd8, %rd3;
  @%p1 bra $L_done;
  mad.lo.u64 %rd9, %rd8, %rd4, %rd2;
  shl.b64 %rd9, %rd9, 2;
  cvta.to.global.u64 %rd10, %rd1;
  add.u64 %rd11, %rd10, %rd9;
  ld.global.f32 %f1, [%rd11];
  add.f32 %f2, %f1, %f1;
  st.global.f32 [%rd11], %f2;
$L_done:
  ret;
}

.visible .entry ssmc_test_scaled_copy(
  .param .u64 y_allocated,
  .param .u64 y_aligned,
  .param .u64 y_offset,
  .param .u64 y_size,
  .param .u64 y_stride,
  .param .u64 x_allocated,
  .param .u64 x_aligned,
  .param .u64 x_offset,
  .param .u64 x_size,
  .param .u64 x_stride)
{
  .reg .pred %p<2>;
  .reg .b32 %r<4>;
  .reg .b64 %rd<18>;
  .reg .f32 %f<3>;

  ld.param.u64 %rd1, [y_aligned];
  ld.param.u64 %rd2, [y_offset];
  ld.param.u64 %rd3, [y_stride];
  ld.param.u64 %rd4, [x_aligned];
  ld.param.u64 %rd5, [x_offset];
  ld.param.u64 %rd6, [x_size];
  ld.param.u64 %rd7, [x_stride];
  mov.u32 %r1, %ctaid.x;
  mov.u32 %r2, %ntid.x;
  mov.u32 %r3, %tid.x;
  cvt.u64.u32 %rd8, %r1;
  cvt.u64.u32 %rd9, %r2;
  cvt.u64.u32 %rd10, %r3;
  mad.lo.u64 %rd11, %rd8, %rd9, %rd10;
  setp.ge.u64 %p1, %rd11, %rd6;
  @%p1 bra $L_done;
  mad.lo.u64 %rd12, %rd11, %rd7, %rd5;
  shl.b64 %rd12, %rd12, 2;
  cvta.to.global.u64 %rd13, %rd4;
  add.u64 %rd14, %rd13, %rd12;
  ld.global.f32 %f1, [%rd14];
  add.f32 %f2, %f1, %f1;
  mad.lo.u64 %rd15, %rd11, %rd3, %rd2;
  shl.b64 %rd15, %rd15, 2;
  cvta.to.global.u64 %rd16, %rd1;
  add.u64 %rd17, %rd16, %rd15;
  st.global.f32 [%rd17], %f2;
$L_done:
  ret;
}
)";

constexpr int kDouble = 0, kScaledCopy = 1; // symbol indices
constexpr int64_t kBlock = 128;

bool startsWith(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

struct TempDir {
  TempDir() {
    std::string pattern = ::testing::TempDir() + "ssmc-cuda-XXXXXX";
    if (!::mkdtemp(pattern.data()))
      std::abort();
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

using Sections = std::vector<std::pair<std::string, std::string>>;

// An artifact holding just `sections` (and an empty manifest), opened from a
// file as a model would be.
std::unique_ptr<Artifact> openArtifact(const TempDir &dir, const Sections &sections) {
  ArtifactWriter writer;
  writer.setManifest("{}");
  for (const auto &[name, bytes] : sections)
    writer.addSection(name, bytes.data(), bytes.size());
  const std::string path = dir.path + "/kernels.ssmc";
  std::string error;
  if (!writer.write(path, error))
    throw std::runtime_error("cannot write " + path + ": " + error);
  return Artifact::open(path);
}

// Launches over argument `arg`'s first dimension, one thread per element.
LaunchDesc perElement(int arg) {
  LaunchDesc l;
  l.block[0] = kBlock;
  l.grid[0].product = {GridDim::Factor{arg, 0}};
  l.grid[0].div = kBlock;
  return l;
}

// The two test kernels, the cubin section given (not necessarily a cubin)
// and the PTX as its fallback unless `withPtx` is false.
KernelImage testImage(bool withPtx) {
  KernelImage image;
  image.section = "cuda.cubin";
  if (withPtx)
    image.fallbackSection = "cuda.ptx";
  image.symbols = {"ssmc_test_double", "ssmc_test_scaled_copy"};
  image.launches = {perElement(0), perElement(1)};
  return image;
}

const std::string kNotACubin = "this is not a cubin, so the PTX gets JIT-compiled";

// A rank-1 f32 view: {allocated, aligned, offset, size, stride}.
Descriptor view(void *base, int64_t offset, int64_t size, int64_t stride) {
  const auto p = static_cast<int64_t>(reinterpret_cast<uintptr_t>(base));
  return {p, p, offset, size, stride};
}

template <typename F> RuntimeError errorOf(F &&f) {
  try {
    f();
  } catch (const RuntimeError &e) {
    return e;
  }
  ADD_FAILURE() << "no RuntimeError was thrown";
  return RuntimeError(ErrorCode::Runtime, "<none>");
}

// ---------------------------------------------------------------------------
// Without a usable GPU (this is what CI checks).

TEST(CudaUnavailable, CreateThrowsUnsupported) {
  if (cudaAvailable())
    GTEST_SKIP() << "a CUDA device is present: the device tests cover it";
  RuntimeError e = errorOf([] { createCudaBackend(BackendOptions{}); });
  EXPECT_EQ(e.code(), ErrorCode::Unsupported) << e.what();
  const std::string message = e.what();
  EXPECT_TRUE(startsWith(message, "cuda:") ||
              startsWith(message, "this ssmc runtime"))
      << message;
}

TEST(CudaUnavailable, AvailabilityAgreesWithCreate) {
  const bool available = cudaAvailable();
  EXPECT_EQ(cudaAvailable(), available) << "the answer is cached per process";
  if (available) {
    std::unique_ptr<Backend> backend = createCudaBackend(BackendOptions{});
    ASSERT_TRUE(backend);
    EXPECT_STREQ(backend->name(), "cuda");
  } else {
    EXPECT_THROW(createCudaBackend(BackendOptions{}), RuntimeError);
  }
}

// ---------------------------------------------------------------------------
// With a GPU.

class CudaBackendTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!cudaAvailable())
      GTEST_SKIP() << "no CUDA driver, cuBLASLt or device on this machine";
    backend = createCudaBackend(BackendOptions{});
  }

  // Device memory released at the end of the test.
  void *allocate(size_t bytes) {
    void *p = backend->allocate(bytes);
    owned.emplace_back(backend.get(), p);
    return p;
  }
  float *allocateFloats(size_t n) { return static_cast<float *>(allocate(n * sizeof(float))); }

  void upload(void *dst, const std::vector<float> &host) {
    backend->copyToDevice(dst, host.data(), host.size() * sizeof(float));
  }
  std::vector<float> download(const void *src, size_t n) {
    std::vector<float> host(n);
    backend->copyToHost(host.data(), src, n * sizeof(float));
    return host;
  }

  // Loads testImage() from an artifact whose cubin section is `cubin`.
  void loadTestKernels(const std::string &cubin, bool withPtx = true) {
    Sections sections{{"cuda.cubin", cubin}};
    if (withPtx)
      sections.emplace_back("cuda.ptx", kPtx);
    artifact = openArtifact(dir, sections);
    backend->loadKernels(*artifact, testImage(withPtx), artifact->path());
  }

  void TearDown() override {
    for (auto &[be, p] : owned)
      be->release(p);
  }

  std::unique_ptr<Backend> backend;
  std::vector<std::pair<Backend *, void *>> owned;
  TempDir dir;
  std::unique_ptr<Artifact> artifact;
};

TEST_F(CudaBackendTest, DescribesItself) {
  EXPECT_STREQ(backend->name(), "cuda");
  EXPECT_TRUE(backend->supportsWeightDType(DType::F32));
  EXPECT_FALSE(backend->supportsWeightDType(DType::F16));
  EXPECT_FALSE(backend->supportsWeightDType(DType::BF16));
  EXPECT_FALSE(backend->hostAddressable());
}

TEST_F(CudaBackendTest, MissingDeviceOrdinalIsUnsupported) {
  for (int ordinal : {-1, 1 << 20}) {
    BackendOptions options;
    options.cudaDevice = ordinal;
    RuntimeError e = errorOf([&] { createCudaBackend(options); });
    EXPECT_EQ(e.code(), ErrorCode::Unsupported);
    EXPECT_TRUE(contains(e.what(), "cuda device " + std::to_string(ordinal) +
                                       " does not exist ("))
        << e.what();
  }
}

TEST_F(CudaBackendTest, AllocationsAreZeroedAndAligned) {
  // Dirty some memory first, so that reused memory would show.
  void *dirty = backend->allocate(1 << 20);
  std::vector<uint8_t> junk(1 << 20, 0xab);
  backend->copyToDevice(dirty, junk.data(), junk.size());
  std::vector<uint8_t> check(1);
  backend->copyToHost(check.data(), dirty, 1);
  backend->release(dirty);

  for (size_t bytes : {size_t(0), size_t(1), size_t(255), size_t(256), size_t(257),
                       size_t(1 << 20), size_t(3 << 20) + 5}) {
    void *p = allocate(bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 256, 0u) << bytes;
    std::vector<uint8_t> host(std::max<size_t>(bytes, 1), 0x5a);
    backend->copyToHost(host.data(), p, host.size());
    EXPECT_EQ(std::count(host.begin(), host.end(), 0), std::ptrdiff_t(host.size()))
        << bytes << " bytes";
  }
  backend->release(nullptr); // a no-op
}

TEST_F(CudaBackendTest, CopiesAndZeroRoundTrip) {
  std::mt19937 rng(42);
  const size_t n = (1 << 20) + 13;
  std::vector<uint8_t> bytes(n);
  for (uint8_t &b : bytes)
    b = static_cast<uint8_t>(rng());
  auto *p = static_cast<uint8_t *>(allocate(n));
  backend->copyToDevice(p, bytes.data(), n);

  // Partial copies at odd offsets, and a zeroed range.
  std::vector<uint8_t> patch(1001);
  for (uint8_t &b : patch)
    b = static_cast<uint8_t>(rng());
  backend->copyToDevice(p + 7, patch.data(), patch.size());
  std::copy(patch.begin(), patch.end(), bytes.begin() + 7);
  backend->zero(p + 5003, 70001);
  std::fill(bytes.begin() + 5003, bytes.begin() + 5003 + 70001, 0);
  backend->zero(p, 0);
  backend->copyToDevice(p, nullptr, 0);

  std::vector<uint8_t> back(n);
  backend->copyToHost(back.data(), p, n);
  EXPECT_TRUE(back == bytes);
  std::vector<uint8_t> middle(333);
  backend->copyToHost(middle.data(), p + 4999, middle.size());
  EXPECT_TRUE(std::equal(middle.begin(), middle.end(), bytes.begin() + 4999));
}

TEST_F(CudaBackendTest, ResidentWeightIsADeviceCopy) {
  std::vector<float> host(4099);
  for (size_t i = 0; i < host.size(); ++i)
    host[i] = 0.25f * float(i) - 3.0f;
  const void *w = backend->residentWeight(host.data(), host.size() * sizeof(float));
  ASSERT_NE(w, nullptr);
  EXPECT_NE(w, static_cast<const void *>(host.data()));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w) % 256, 0u);
  EXPECT_EQ(download(w, host.size()), host);
  // The same weight again is the same copy.
  EXPECT_EQ(backend->residentWeight(host.data(), host.size() * sizeof(float)), w);
  EXPECT_NE(backend->residentWeight(host.data(), 0), nullptr);
}

// A transient buffer's copy is never looked up by its address: the next
// widened weight may reuse the address with other values.
TEST_F(CudaBackendTest, ResidentCopiesAreNotRememberedByAddress) {
  std::vector<float> host(1000, 1.5f);
  const void *first = backend->residentCopy(host.data(), host.size() * sizeof(float));
  std::fill(host.begin(), host.end(), -2.0f);
  const void *second = backend->residentCopy(host.data(), host.size() * sizeof(float));
  EXPECT_NE(first, second);
  EXPECT_EQ(download(first, host.size()), std::vector<float>(host.size(), 1.5f));
  EXPECT_EQ(download(second, host.size()), host);
}

// c[m, n] = a[m, k] * b[n, k]^T (+ bias[n]) with padded leading dims, and
// operands placed `off*` floats into their buffers (misaligned pointers).
struct GemmCase {
  int64_t m, n, k;
  int64_t padA, padB, padC; // ld = row length + pad
  bool bias;
  int64_t offA = 0, offB = 0, offC = 0, offBias = 0;
};

std::ostream &operator<<(std::ostream &os, const GemmCase &c) {
  return os << "m=" << c.m << " n=" << c.n << " k=" << c.k << " pads=" << c.padA
            << "," << c.padB << "," << c.padC << (c.bias ? " bias" : "")
            << " offsets=" << c.offA << "," << c.offB << "," << c.offC << ","
            << c.offBias;
}

class CudaGemmTest : public CudaBackendTest {
protected:
  struct Operands {
    std::vector<float> a, b, bias, c;
    GemmCall call;
    float *cBase = nullptr;
  };

  Operands makeOperands(const GemmCase &t, std::mt19937 &rng) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    auto random = [&](size_t n) {
      std::vector<float> v(n);
      for (float &x : v)
        x = dist(rng);
      return v;
    };
    Operands o;
    const int64_t lda = t.k + t.padA, ldb = t.k + t.padB, ldc = t.n + t.padC;
    o.a = random(size_t(t.offA + t.m * lda + 1));
    o.b = random(size_t(t.offB + t.n * ldb + 1));
    o.bias = random(size_t(t.offBias + t.n + 1));
    o.c.assign(size_t(t.offC + t.m * ldc + 1), 777.0f); // shows stray writes
    float *a = allocateFloats(o.a.size()), *b = allocateFloats(o.b.size());
    float *bias = allocateFloats(o.bias.size());
    o.cBase = allocateFloats(o.c.size());
    upload(a, o.a);
    upload(b, o.b);
    upload(bias, o.bias);
    upload(o.cBase, o.c);
    o.call.m = t.m;
    o.call.n = t.n;
    o.call.k = t.k;
    o.call.a = a + t.offA;
    o.call.lda = lda;
    o.call.b = b + t.offB;
    o.call.ldb = ldb;
    o.call.c = o.cBase + t.offC;
    o.call.ldc = ldc;
    o.call.bias = t.bias ? bias + t.offBias : nullptr;
    return o;
  }

  // Checks the device result against a double-precision reference: every
  // element within 1e-5 of the sum of the magnitudes it adds up, and the
  // padding and the rest of the buffer untouched.
  void expectResult(const GemmCase &t, const Operands &o) {
    const std::vector<float> c = download(o.cBase, o.c.size());
    const int64_t lda = o.call.lda, ldb = o.call.ldb, ldc = o.call.ldc;
    int bad = 0;
    for (int64_t i = 0; i < t.m; ++i)
      for (int64_t j = 0; j < ldc; ++j) {
        const size_t at = size_t(t.offC + i * ldc + j);
        if (j >= t.n) {
          if (c[at] != 777.0f && bad++ < 5)
            ADD_FAILURE() << t << ": padding c[" << i << "][" << j << "] was written";
          continue;
        }
        double ref = t.bias ? o.bias[size_t(t.offBias + j)] : 0.0;
        double scale = std::abs(ref);
        for (int64_t p = 0; p < t.k; ++p) {
          const double x = o.a[size_t(t.offA + i * lda + p)];
          const double y = o.b[size_t(t.offB + j * ldb + p)];
          ref += x * y;
          scale += std::abs(x * y);
        }
        if (!(std::abs(c[at] - ref) <= 1e-5 * scale) && bad++ < 5)
          ADD_FAILURE() << t << ": c[" << i << "][" << j << "] = " << c[at]
                        << ", expected " << ref << " (scale " << scale << ")";
      }
    for (int64_t at = 0; at < t.offC; ++at)
      EXPECT_EQ(c[size_t(at)], 777.0f) << t;
    EXPECT_EQ(c.back(), 777.0f) << t;
    EXPECT_EQ(bad, 0) << t;
  }
};

const GemmCase kGemmCases[] = {
    {1, 1, 1, 0, 0, 0, false},
    {1, 37, 64, 0, 0, 0, true},
    {1, 257, 129, 3, 5, 7, true},
    {5, 3, 7, 0, 0, 0, false},
    {17, 33, 65, 1, 2, 3, true},
    {64, 128, 256, 0, 0, 0, true},
    {130, 70, 200, 5, 0, 9, true},
    {2, 1, 19, 0, 4, 0, true},
    // Pointers aligned to 4 bytes only, and a bias the epilogue cannot take.
    {7, 9, 31, 2, 2, 2, true, 1, 3, 2, 1},
    {33, 65, 17, 0, 0, 0, true, 0, 0, 0, 1},
    {1, 40, 24, 0, 0, 0, true, 1, 1, 1, 0},
    // k = 0: c = bias, or 0.
    {3, 5, 0, 0, 0, 0, true},
    {4, 6, 0, 0, 0, 1, false},
};

TEST_F(CudaGemmTest, MatchesDoublePrecisionReference) {
  std::mt19937 rng(7);
  for (const GemmCase &t : kGemmCases) {
    Operands o = makeOperands(t, rng);
    backend->gemm(o.call);
    expectResult(t, o);
    backend->gemm(o.call); // the cached plan gives the same answer
    expectResult(t, o);
  }
}

TEST_F(CudaGemmTest, EmptyProductsDoNothing) {
  GemmCall call; // all null
  call.k = 5;
  call.n = 3;
  EXPECT_NO_THROW(backend->gemm(call)); // m = 0
  call.m = 4;
  call.n = 0;
  EXPECT_NO_THROW(backend->gemm(call)); // n = 0
  call.m = -1;
  call.n = 3;
  EXPECT_EQ(errorOf([&] { backend->gemm(call); }).code(), ErrorCode::InvalidArgument);
}

TEST_F(CudaGemmTest, RecordsIntoAGraph) {
  std::mt19937 rng(11);
  for (const GemmCase &t : {GemmCase{9, 20, 33, 1, 0, 2, true},
                            GemmCase{1, 50, 64, 0, 0, 0, true},
                            GemmCase{6, 10, 12, 0, 0, 0, true, 0, 0, 0, 1}}) {
    Operands o = makeOperands(t, rng);
    std::unique_ptr<Recording> recording =
        backend->record([&] { backend->gemm(o.call); });
    ASSERT_TRUE(recording);
    // Recording queues nothing: c still holds its sentinel.
    EXPECT_EQ(download(o.call.c, 1)[0], 777.0f) << t;
    backend->replay(*recording);
    expectResult(t, o);
    backend->replay(*recording);
    expectResult(t, o);
  }
}

// Cuts x to a bf16 value (drops the low 16 bits) and returns that value's
// bf16 bits: operands both copies hold alike, so references stay exact.
uint16_t cutToBf16(float &x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  bits &= 0xffff0000u;
  std::memcpy(&x, &bits, 4);
  return uint16_t(bits >> 16);
}

// The skinny-GEMM kernels (passes/gpu/GemvKernel.h) of a compiled
// artifact's cuda image (exact fp32 GEMMs), which gemm runs for products of
// at most 4 rows, and of one row when b has a bf16 copy.
// scripts/gpu/device_checks.sh names the artifact.
class CudaGemvTest : public CudaGemmTest {
protected:
  void SetUp() override {
    CudaGemmTest::SetUp();
    if (IsSkipped())
      return;
    loadArtifactKernels("SSMC_TEST_CUDA_ARTIFACT");
    if (image) {
      ASSERT_FALSE(image->gemv.empty()) << "the artifact has no skinny-GEMM kernels";
    }
  }

  // Loads the cuda image of the artifact that the environment variable
  // `variable` names (scripts/gpu/device_checks.sh sets it) into `image`;
  // skips the test when there is none.
  void loadArtifactKernels(const char *variable) {
    const char *path = std::getenv(variable);
    if (!path || !*path)
      GTEST_SKIP() << variable << " names no artifact compiled for cuda";
    artifact = Artifact::open(path);
    manifest = parseManifest(*artifact);
    auto found = manifest.kernels.find("cuda");
    ASSERT_NE(found, manifest.kernels.end()) << path << " has no cuda image";
    image = &found->second;
    backend->loadKernels(*artifact, *image, path);
  }

  Manifest manifest;
  const KernelImage *image = nullptr;
};

// Rows up to 4 (each tile, and the clamped rows of a partial one), rows of w
// shorter than a warp's stretch, long enough for every split of a row over
// 1 to 8 warps, and a remainder; operands 16-byte aligned, leading dims
// padded by multiples of 4.
const GemmCase kSkinnyCases[] = {
    {1, 1, 4, 0, 0, 0, false},
    {1, 80, 1536, 0, 0, 0, false},
    {1, 7, 12, 4, 8, 3, true, 4, 8, 1, 1},
    {1, 33, 4100, 0, 0, 0, true},
    {2, 300, 132, 0, 4, 0, true},
    {3, 33, 768, 4, 0, 5, false, 0, 4, 0, 0},
    {3, 64, 256, 8, 4, 0, true, 4, 0, 2, 3},
    {4, 129, 2052, 0, 0, 0, true},
    {4, 50, 8196, 0, 0, 0, true},
};

TEST_F(CudaGemvTest, SkinnyProductsMatchDoublePrecisionReference) {
  std::mt19937 rng(13);
  for (const GemmCase &t : kSkinnyCases) {
    Operands o = makeOperands(t, rng);
    EXPECT_TRUE(backend->runsAsSkinnyGemm(o.call)) << t;
    backend->gemm(o.call);
    expectResult(t, o);
  }
}

// b also in bf16 (GemmCall::bBf16): its values cut to bf16 first, so both
// copies hold the same numbers and the reference stays exact.
TEST_F(CudaGemvTest, Bf16WeightsMatchDoublePrecisionReference) {
  std::mt19937 rng(23);
  for (const GemmCase &t : {GemmCase{1, 80, 1536, 0, 0, 0, false},
                            GemmCase{1, 37, 264, 4, 8, 1, true, 4, 8, 3, 1},
                            GemmCase{1, 300, 4096, 0, 0, 0, true},
                            GemmCase{1, 65, 8, 0, 0, 0, true}}) {
    Operands o = makeOperands(t, rng);
    std::vector<uint16_t> bf16(o.b.size());
    for (size_t i = 0; i < o.b.size(); ++i)
      bf16[i] = cutToBf16(o.b[i]);
    upload(const_cast<float *>(o.call.b - t.offB), o.b);
    auto *narrow = static_cast<uint16_t *>(allocate(bf16.size() * 2));
    backend->copyToDevice(narrow, bf16.data(), bf16.size() * 2);
    o.call.bBf16 = narrow + t.offB;
    EXPECT_TRUE(backend->runsAsSkinnyGemm(o.call)) << t;
    // The f32 copy is not read: poison it.
    upload(const_cast<float *>(o.call.b - t.offB), std::vector<float>(o.b.size(), NAN));
    backend->gemm(o.call);
    expectResult(t, o);
  }
}

TEST_F(CudaGemvTest, OtherProductsTakeTheLibrary) {
  std::mt19937 rng(17);
  // 5 rows; k not a multiple of 4; a misaligned a; a leading dim the loads
  // cannot step by.
  for (const GemmCase &t : {GemmCase{5, 40, 64, 0, 0, 0, true},
                            GemmCase{2, 40, 30, 0, 0, 0, true},
                            GemmCase{2, 40, 64, 0, 0, 0, true, 1, 0, 0, 0},
                            GemmCase{2, 40, 64, 2, 0, 0, false}}) {
    Operands o = makeOperands(t, rng);
    EXPECT_FALSE(backend->runsAsSkinnyGemm(o.call)) << t;
    backend->gemm(o.call);
    expectResult(t, o);
  }
}

TEST_F(CudaGemvTest, RecordsIntoAGraph) {
  std::mt19937 rng(19);
  const GemmCase t{3, 96, 640, 0, 0, 0, true};
  Operands o = makeOperands(t, rng);
  ASSERT_TRUE(backend->runsAsSkinnyGemm(o.call));
  std::unique_ptr<Recording> recording = backend->record([&] { backend->gemm(o.call); });
  ASSERT_TRUE(recording);
  EXPECT_EQ(download(o.call.c, 1)[0], 777.0f);
  backend->replay(*recording);
  expectResult(t, o);
}

// Kernels that wait on their grid dependencies (sm_90 artifacts) start
// while the one before them runs. A chain of products, each reading the
// row the one before it wrote (first poisoned), shows whether every kernel
// waits before reading: eagerly and replayed from a graph.
TEST_F(CudaGemvTest, DependentKernelsReadFinishedResults) {
  EXPECT_TRUE(image->gridDependencyWait) << "sm_90 kernels wait on the grid before them";
  constexpr int64_t kDim = 2048, kSteps = 12;
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  // Scaled so that the row keeps its size from step to step.
  std::vector<float> w(size_t(kDim * kDim)), x(static_cast<size_t>(kDim));
  for (float &v : w)
    v = dist(rng) * 1.7f / std::sqrt(float(kDim));
  for (float &v : x)
    v = dist(rng);
  float *wDevice = allocateFloats(w.size());
  upload(wDevice, w);
  std::vector<float *> rows;
  for (int64_t i = 0; i <= kSteps; ++i)
    rows.push_back(allocateFloats(size_t(kDim)));
  auto chain = [&] {
    for (int64_t i = 0; i < kSteps; ++i) {
      GemmCall call;
      call.m = 1;
      call.n = call.k = call.lda = call.ldb = call.ldc = kDim;
      call.a = rows[size_t(i)];
      call.b = wDevice;
      call.c = rows[size_t(i) + 1];
      backend->gemm(call);
    }
  };
  std::vector<double> ref(x.begin(), x.end());
  for (int64_t i = 0; i < kSteps; ++i) {
    std::vector<double> next(size_t(kDim), 0.0);
    for (int64_t j = 0; j < kDim; ++j)
      for (int64_t p = 0; p < kDim; ++p)
        next[size_t(j)] += ref[size_t(p)] * w[size_t(j * kDim + p)];
    ref = std::move(next);
  }
  auto expectChain = [&](const char *how) {
    std::vector<float> out = download(rows.back(), size_t(kDim));
    double err = 0, norm = 0;
    for (int64_t j = 0; j < kDim; ++j) {
      err += (out[size_t(j)] - ref[size_t(j)]) * (out[size_t(j)] - ref[size_t(j)]);
      norm += ref[size_t(j)] * ref[size_t(j)];
    }
    EXPECT_LT(std::sqrt(err / norm), 1e-5) << how;
  };
  auto poison = [&] {
    upload(rows[0], x);
    for (int64_t i = 1; i <= kSteps; ++i)
      upload(rows[size_t(i)], std::vector<float>(size_t(kDim), NAN));
  };
  poison();
  chain();
  expectChain("eager");
  std::unique_ptr<Recording> recording = backend->record(chain);
  ASSERT_TRUE(recording);
  for (int replay = 0; replay < 3; ++replay) {
    poison();
    backend->replay(*recording);
    expectChain("replayed");
  }
}

// bf16 GEMMs (an artifact compiled with --cuda-gemm-math bf16): a's rows
// rounded to bf16 by the image's kernel, b read from its bf16 copy only (the
// f32 pointer is null), fp32 accumulation. a and b are cut to bf16 values
// first, so the double reference is exact.
class CudaBf16GemmTest : public CudaGemvTest {
protected:
  void SetUp() override {
    CudaGemmTest::SetUp();
    if (IsSkipped())
      return;
    loadArtifactKernels("SSMC_TEST_CUDA_BF16_ARTIFACT");
    if (image) {
      ASSERT_EQ(image->gemmMath, GemmMath::BF16) << "the artifact's GEMMs are not bf16";
    }
  }

  // b's f32 copy is dropped unless `keepF32` (then with the same values).
  Operands makeBf16Operands(const GemmCase &t, std::mt19937 &rng, bool keepF32 = false) {
    Operands o = makeOperands(t, rng);
    for (float &x : o.a)
      cutToBf16(x);
    upload(const_cast<float *>(o.call.a - t.offA), o.a);
    std::vector<uint16_t> narrow(o.b.size());
    for (size_t i = 0; i < o.b.size(); ++i)
      narrow[i] = cutToBf16(o.b[i]);
    upload(const_cast<float *>(o.call.b - t.offB), o.b);
    auto *b = static_cast<uint16_t *>(allocate(narrow.size() * 2));
    backend->copyToDevice(b, narrow.data(), narrow.size() * 2);
    o.call.bBf16 = b + t.offB;
    if (!keepF32)
      o.call.b = nullptr;
    return o;
  }
};

TEST_F(CudaBf16GemmTest, MatchesDoublePrecisionReference) {
  std::mt19937 rng(29);
  // Rows from 2 (cuBLASLt) to 130, padded and offset operands (b's bf16
  // copy 2-byte aligned), a bias the epilogue cannot take; a larger product
  // after a smaller one grows the rounding scratch.
  for (const GemmCase &t : {GemmCase{2, 40, 64, 0, 0, 0, true},
                            GemmCase{17, 33, 65, 1, 2, 3, true},
                            GemmCase{130, 70, 200, 5, 0, 9, true, 3, 1, 0, 0},
                            GemmCase{7, 9, 31, 2, 2, 2, true, 1, 3, 2, 1},
                            GemmCase{64, 128, 256, 0, 0, 0, false},
                            GemmCase{300, 96, 1536, 0, 0, 0, true}}) {
    Operands o = makeBf16Operands(t, rng);
    EXPECT_FALSE(backend->runsAsSkinnyGemm(o.call)) << t;
    backend->gemm(o.call);
    expectResult(t, o);
    backend->gemm(o.call); // the cached plan and prepared rounding
    expectResult(t, o);
  }
  // Narrow products with an f32 copy take it (TF32: exact on bf16 values),
  // wide ones still the bf16 copy.
  for (const GemmCase &t : {GemmCase{300, 160, 512, 0, 0, 0, true},
                            GemmCase{40, 300, 128, 0, 0, 0, false}}) {
    Operands o = makeBf16Operands(t, rng, /*keepF32=*/true);
    backend->gemm(o.call);
    expectResult(t, o);
  }
}

TEST_F(CudaBf16GemmTest, OneRowReadsTheBf16CopyInTheSkinnyKernel) {
  std::mt19937 rng(31);
  const GemmCase t{1, 80, 1536, 0, 0, 0, true};
  Operands o = makeBf16Operands(t, rng);
  EXPECT_TRUE(backend->runsAsSkinnyGemm(o.call));
  backend->gemm(o.call);
  expectResult(t, o);
}

// A recording may not grow the rounding scratch; a session's plans run once
// before they are recorded, which grows it.
TEST_F(CudaBf16GemmTest, RecordsIntoAGraphAfterAFirstRun) {
  std::mt19937 rng(37);
  const GemmCase t{9, 20, 48, 1, 0, 2, true};
  Operands o = makeBf16Operands(t, rng);
  const RuntimeError e = errorOf([&] { backend->record([&] { backend->gemm(o.call); }); });
  EXPECT_EQ(e.code(), ErrorCode::Runtime);
  EXPECT_TRUE(contains(e.what(), "need more scratch while a CUDA graph is recorded")) << e.what();
  backend->gemm(o.call);
  expectResult(t, o);
  std::unique_ptr<Recording> recording = backend->record([&] { backend->gemm(o.call); });
  ASSERT_TRUE(recording);
  backend->zero(o.call.c, sizeof(float));
  backend->replay(*recording);
  expectResult(t, o);
}

TEST_F(CudaBackendTest, PtxFallbackRunsAStridedView) {
  ::testing::internal::CaptureStderr();
  loadTestKernels(kNotACubin);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains(log, "the cubin in section 'cuda.cubin' does not load on this "
                            "device (sm_"))
      << log;
  EXPECT_TRUE(contains(log, "JIT-compiling the PTX")) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;

  // x[j] = j + 0.5; the view is x[3 + 3i], i < 300 (three blocks).
  const size_t n = 1000;
  std::vector<float> x(n);
  for (size_t j = 0; j < n; ++j)
    x[j] = float(j) + 0.5f;
  float *dx = allocateFloats(n);
  upload(dx, x);
  std::vector<Descriptor> args{view(dx, 3, 300, 3)};
  std::unique_ptr<PreparedKernel> k = backend->prepareKernel(kDouble, args);
  auto expectScaled = [&](float factor, const char *when) {
    const std::vector<float> got = download(dx, n);
    int bad = 0;
    for (size_t j = 0; j < n; ++j) {
      const bool inView = j >= 3 && j <= 900 && j % 3 == 0;
      const float want = inView ? x[j] * factor : x[j];
      if (got[j] != want && bad++ < 5)
        ADD_FAILURE() << when << ": x[" << j << "] = " << got[j] << ", expected " << want;
    }
  };
  backend->launch(*k);
  expectScaled(2.0f, "after one launch");

  // Recording runs nothing; each replay doubles again: 2 * 2 * 2 = 8.
  std::unique_ptr<Recording> recording = backend->record([&] { backend->launch(*k); });
  ASSERT_TRUE(recording);
  expectScaled(2.0f, "after recording");
  backend->replay(*recording);
  backend->replay(*recording);
  expectScaled(8.0f, "after two replays");
}

TEST_F(CudaBackendTest, ArgumentsArePassedInOrder) {
  loadTestKernels(kNotACubin);
  // y[2i + 1] = 2 * x[5 + i] for i < 200; y elsewhere stays -1.
  std::vector<float> x(300), y(500, -1.0f);
  for (size_t j = 0; j < x.size(); ++j)
    x[j] = 1.0f + float(j);
  float *dx = allocateFloats(x.size()), *dy = allocateFloats(y.size());
  upload(dx, x);
  upload(dy, y);
  std::unique_ptr<PreparedKernel> k = backend->prepareKernel(
      kScaledCopy, {view(dy, 1, 200, 2), view(dx, 5, 200, 1)});
  backend->launch(*k);
  const std::vector<float> got = download(dy, y.size());
  for (size_t j = 0; j < y.size(); ++j) {
    const bool written = j % 2 == 1 && j < 400;
    EXPECT_EQ(got[j], written ? 2.0f * x[5 + j / 2] : -1.0f) << "y[" << j << "]";
  }
}

TEST_F(CudaBackendTest, EmptyGridLaunchesNothing) {
  loadTestKernels(kNotACubin);
  float *dx = allocateFloats(4);
  upload(dx, {1, 2, 3, 4});
  std::unique_ptr<PreparedKernel> k = backend->prepareKernel(kDouble, {view(dx, 0, 0, 1)});
  backend->launch(*k);
  EXPECT_EQ(download(dx, 4), (std::vector<float>{1, 2, 3, 4}));
}

TEST_F(CudaBackendTest, SyncEnvironmentVariableStillComputes) {
  ::setenv("SSMC_CUDA_SYNC", "1", 1);
  std::unique_ptr<Backend> synced = createCudaBackend(BackendOptions{});
  ::unsetenv("SSMC_CUDA_SYNC");
  Sections sections{{"cuda.cubin", kNotACubin}, {"cuda.ptx", kPtx}};
  artifact = openArtifact(dir, sections);
  ::testing::internal::CaptureStderr();
  synced->loadKernels(*artifact, testImage(true), artifact->path());
  ::testing::internal::GetCapturedStderr();
  void *dx = synced->allocate(8 * sizeof(float));
  const std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8};
  synced->copyToDevice(dx, x.data(), 8 * sizeof(float));
  std::unique_ptr<PreparedKernel> k = synced->prepareKernel(kDouble, {view(dx, 0, 8, 1)});
  synced->launch(*k);
  std::vector<float> got(8);
  synced->copyToHost(got.data(), dx, 8 * sizeof(float));
  EXPECT_EQ(got, (std::vector<float>{2, 4, 6, 8, 10, 12, 14, 16}));
  synced->release(dx);
}

// A real cubin (ptxas from the toolkit, when this machine has one) loads
// without the JIT.
TEST_F(CudaBackendTest, CubinLoadsWithoutJit) {
  std::string ptxas;
  const char *cudaHome = std::getenv("CUDA_HOME");
  for (std::string root : {std::string(cudaHome ? cudaHome : ""), std::string("/usr/local/cuda")})
    if (!root.empty() && ::access((root + "/bin/ptxas").c_str(), X_OK) == 0) {
      ptxas = root + "/bin/ptxas";
      break;
    }
  if (ptxas.empty())
    GTEST_SKIP() << "no ptxas to make a cubin with";
  const std::string ptxPath = dir.path + "/k.ptx", cubinPath = dir.path + "/k.cubin";
  std::ofstream(ptxPath) << kPtx;
  const std::string command = ptxas + " -arch=sm_90 " + ptxPath + " -o " + cubinPath;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(cubinPath, std::ios::binary);
  const std::string cubin((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(cubin.size(), 4u);

  ::testing::internal::CaptureStderr();
  try {
    loadTestKernels(cubin, /*withPtx=*/false);
  } catch (const RuntimeError &e) {
    ::testing::internal::GetCapturedStderr();
    if (e.code() == ErrorCode::Unsupported)
      GTEST_SKIP() << "an sm_90 cubin does not load here: " << e.what();
    throw;
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  float *dx = allocateFloats(3);
  upload(dx, {1.5f, -2.0f, 8.0f});
  backend->launch(*backend->prepareKernel(kDouble, {view(dx, 0, 3, 1)}));
  EXPECT_EQ(download(dx, 3), (std::vector<float>{3.0f, -4.0f, 16.0f}));
}

TEST_F(CudaBackendTest, UnloadableImageWithoutPtxFails) {
  RuntimeError e = errorOf([&] { loadTestKernels(kNotACubin, /*withPtx=*/false); });
  EXPECT_TRUE(e.code() == ErrorCode::Unsupported || e.code() == ErrorCode::Runtime);
  EXPECT_TRUE(contains(e.what(), artifact->path())) << e.what();
  EXPECT_TRUE(contains(e.what(), "'cuda.cubin'")) << e.what();
}

TEST_F(CudaBackendTest, BrokenPtxFailsWithTheJitLog) {
  artifact = openArtifact(dir, {{"cuda.cubin", kNotACubin},
                                {"cuda.ptx", ".version 8.0\n.target sm_90\nthis is not PTX\n"}});
  ::testing::internal::CaptureStderr();
  RuntimeError e = errorOf(
      [&] { backend->loadKernels(*artifact, testImage(true), artifact->path()); });
  ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(e.code() == ErrorCode::Unsupported || e.code() == ErrorCode::Runtime);
  EXPECT_TRUE(contains(e.what(), artifact->path())) << e.what();
  EXPECT_TRUE(contains(e.what(), "'cuda.ptx'")) << e.what();
  EXPECT_TRUE(contains(e.what(), "cuModuleLoadDataEx failed")) << e.what();
}

TEST_F(CudaBackendTest, MissingSymbolIsBadArtifact) {
  artifact = openArtifact(dir, {{"cuda.cubin", kNotACubin}, {"cuda.ptx", kPtx}});
  KernelImage image = testImage(true);
  image.symbols.push_back("ssmc_no_such_kernel");
  image.launches.push_back(perElement(0));
  ::testing::internal::CaptureStderr();
  RuntimeError e =
      errorOf([&] { backend->loadKernels(*artifact, image, artifact->path()); });
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(e.code(), ErrorCode::BadArtifact);
  EXPECT_TRUE(contains(e.what(), artifact->path())) << e.what();
  EXPECT_TRUE(contains(e.what(), "'cuda.cubin'")) << e.what();
  EXPECT_TRUE(contains(e.what(), "ssmc_no_such_kernel")) << e.what();
}

TEST_F(CudaBackendTest, LaunchCountMustMatchSymbols) {
  artifact = openArtifact(dir, {{"cuda.cubin", kNotACubin}, {"cuda.ptx", kPtx}});
  KernelImage image = testImage(true);
  image.launches.pop_back();
  RuntimeError e =
      errorOf([&] { backend->loadKernels(*artifact, image, artifact->path()); });
  EXPECT_EQ(e.code(), ErrorCode::BadArtifact);
  EXPECT_TRUE(contains(e.what(), artifact->path())) << e.what();
}

TEST_F(CudaBackendTest, MissingSectionIsBadArtifact) {
  artifact = openArtifact(dir, {{"cuda.cubin", kNotACubin}});
  RuntimeError e = errorOf(
      [&] { backend->loadKernels(*artifact, testImage(true), artifact->path()); });
  EXPECT_EQ(e.code(), ErrorCode::BadArtifact);
  EXPECT_TRUE(contains(e.what(), "'cuda.ptx'")) << e.what();
}

TEST_F(CudaBackendTest, PrepareChecksTheLaunchDescription) {
  artifact = openArtifact(dir, {{"cuda.cubin", kNotACubin}, {"cuda.ptx", kPtx}});
  float *dx = allocateFloats(16);
  auto prepareWith = [&](const LaunchDesc &launch, std::vector<Descriptor> args) {
    KernelImage image = testImage(true);
    image.launches[kDouble] = launch;
    ::testing::internal::CaptureStderr();
    backend->loadKernels(*artifact, image, artifact->path());
    ::testing::internal::GetCapturedStderr();
    return backend->prepareKernel(kDouble, std::move(args));
  };
  auto expectBad = [&](const LaunchDesc &launch, std::vector<Descriptor> args,
                       const char *what) {
    RuntimeError e = errorOf([&] { prepareWith(launch, std::move(args)); });
    EXPECT_EQ(e.code(), ErrorCode::BadArtifact) << what << ": " << e.what();
    EXPECT_TRUE(contains(e.what(), "ssmc_test_double")) << what << ": " << e.what();
  };
  expectBad(perElement(1), {view(dx, 0, 16, 1)}, "argument out of range");
  LaunchDesc secondDim = perElement(0);
  secondDim.grid[0].product = {GridDim::Factor{0, 1}};
  expectBad(secondDim, {view(dx, 0, 16, 1)}, "dimension out of range");
  expectBad(perElement(0), {Descriptor{1, 2}}, "not a descriptor");
  LaunchDesc noDiv = perElement(0);
  noDiv.grid[0].div = 0;
  expectBad(noDiv, {view(dx, 0, 16, 1)}, "division by zero");
  LaunchDesc unit = perElement(0);
  unit.unitInnerStride = {0};
  expectBad(unit, {view(dx, 0, 8, 2)}, "non-unit innermost stride");
  EXPECT_NO_THROW(prepareWith(unit, {view(dx, 0, 16, 1)}));

  EXPECT_EQ(errorOf([&] { backend->prepareKernel(7, {view(dx, 0, 16, 1)}); }).code(),
            ErrorCode::Runtime);

  // 2^40 elements, one per block: too many blocks, unless the kernel strides.
  LaunchDesc huge;
  huge.grid[0].product = {GridDim::Factor{0, 0}};
  const Descriptor hugeView = view(dx, 0, int64_t(1) << 40, 0);
  RuntimeError e = errorOf([&] { prepareWith(huge, {hugeView}); });
  EXPECT_EQ(e.code(), ErrorCode::Unsupported) << e.what();
  EXPECT_TRUE(contains(e.what(), "ssmc_test_double")) << e.what();
  EXPECT_TRUE(contains(e.what(), std::to_string(int64_t(1) << 40))) << e.what();
  huge.gridStride = true;
  EXPECT_NO_THROW(prepareWith(huge, {hugeView})); // prepared, never launched
}

} // namespace
