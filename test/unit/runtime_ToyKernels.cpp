// The toy kernels (see runtime_ToyKernels.h); moved here from
// runtime_cpu_e2e_test.cpp so the snapshot and sampling tests share them.
#include "runtime_ToyKernels.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace rt_test {

namespace {

const char *kKernels = R"C(
#include <stdint.h>
typedef struct { float *allocated, *aligned; int64_t offset, sizes[2], strides[2]; } D2;
typedef struct { float *allocated, *aligned; int64_t offset, sizes[3], strides[3]; } D3;
#define AT2(d, i, j) ((d)->aligned[(d)->offset + (i) * (d)->strides[0] + (j) * (d)->strides[1]])
#define AT3(d, i, j, k) ((d)->aligned[(d)->offset + (i) * (d)->strides[0] + \
                          (j) * (d)->strides[1] + (k) * (d)->strides[2]])

/* x[b*L + l, j] = 10 * tokens[b, l] + j */
void toy_embed(void **a) {
  D2 *t = a[0], *x = a[1];
  const int32_t *tp = (const int32_t *)t->aligned + t->offset;
  for (int64_t b = 0; b < t->sizes[0]; ++b)
    for (int64_t l = 0; l < t->sizes[1]; ++l)
      for (int64_t j = 0; j < x->sizes[1]; ++j)
        AT2(x, b * t->sizes[1] + l, j) =
            10.0f * (float)tp[b * t->strides[0] + l * t->strides[1]] + (float)j;
}
/* x += 1 */
void toy_add1(void **a) {
  D2 *x = a[0];
  for (int64_t i = 0; i < x->sizes[0]; ++i)
    for (int64_t j = 0; j < x->sizes[1]; ++j)
      AT2(x, i, j) += 1.0f;
}
/* h[b, j] += sum_l x[b, l, j] */
void toy_accum(void **a) {
  D3 *x = a[0]; D2 *h = a[1];
  for (int64_t b = 0; b < x->sizes[0]; ++b)
    for (int64_t l = 0; l < x->sizes[1]; ++l)
      for (int64_t j = 0; j < x->sizes[2]; ++j)
        AT2(h, b, j) += AT3(x, b, l, j);
}
/* x += y */
void toy_addto(void **a) {
  D2 *x = a[0], *y = a[1];
  for (int64_t i = 0; i < x->sizes[0]; ++i)
    for (int64_t j = 0; j < x->sizes[1]; ++j)
      AT2(x, i, j) += AT2(y, i, j);
}
)C";

} // namespace

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Builds host.so with cc; empty when no C compiler is available.
std::vector<uint8_t> compileKernels(const TempDir &dir) {
  if (std::system("command -v cc >/dev/null 2>&1") != 0)
    return {};
  std::ofstream(dir.file("k.c")) << kKernels;
  std::string cmd = "cc -shared -fPIC -O1 -o '" + dir.file("host.so") + "' '" +
                    dir.file("k.c") + "'";
  if (std::system(cmd.c_str()) != 0)
    return {};
  return readBytes(dir.file("host.so"));
}

std::string writeToyArtifact(const TempDir &dir) {
  std::vector<uint8_t> so = compileKernels(dir);
  if (so.empty())
    return "";
  std::string path = dir.file("toy.ssmc");
  writeFile(path, buildImage(toyManifest(true), {{"weights", toyWeights()}, {"host.so", so}}));
  return path;
}

} // namespace rt_test
