// .npy writer: the format is a magic string, a version, a little-endian
// header length and a Python dict literal describing dtype/order/shape.
#include "npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ssmc_run {

std::string npyHeader(const std::vector<int64_t> &shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "") +
            (i + 1 < shape.size() ? " " : "");
  dict += "), }";
  // magic(6) + version(2) + len(2) + dict + padding + '\n' == 0 mod 64.
  size_t total = 10 + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  std::string h("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(dict.size());
  h += static_cast<char>(len & 0xff);
  h += static_cast<char>(len >> 8);
  return h + dict;
}

bool writeNpy(const std::string &path, const float *data,
              const std::vector<int64_t> &shape, std::string &error) {
  size_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<size_t>(d);
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = path + ": cannot open for writing: " + std::strerror(errno);
    return false;
  }
  // Little-endian host assumed (x86-64), so floats are written as they are.
  std::string h = npyHeader(shape);
  bool ok = std::fwrite(h.data(), 1, h.size(), f) == h.size() &&
            std::fwrite(data, sizeof(float), n, f) == n;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    error = path + ": write failed";
  return ok;
}

} // namespace ssmc_run
