// ssmc-bench --kernels: the time of every step of one prefill and one decode
// step, grouped by kernel (or GEMM shape), with achieved rates.
#ifndef SSMC_TOOLS_SSMC_BENCH_KERNELS_H
#define SSMC_TOOLS_SSMC_BENCH_KERNELS_H

#include "ssmc/runtime.h"

#include <cstdint>
#include <string>

namespace ssmc_bench {

struct KernelBenchOptions {
  std::string model;
  int64_t batch = 1, length = 256;
  int warmup = 1, repeat = 5;
  uint64_t seed = 1;
  bool json = false;
  double bandwidthGBs = 0; // > 0: also report each step's fraction of it
  double peakGflops = 0;   // > 0: the same for GEMM FLOP rates
};

// Prints the tables (or JSON lines); returns the exit code.
int runKernelBench(const KernelBenchOptions &o, ssmc_model *model,
                   const ssmc_model_info_t &info);

} // namespace ssmc_bench

#endif
