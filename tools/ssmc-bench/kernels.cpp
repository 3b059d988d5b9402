#include "kernels.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <vector>

namespace ssmc_bench {

namespace {

// Steps of one kind: a kernel symbol, or GEMMs of one shape.
struct Group {
  std::string name;
  int calls = 0;          // per run
  double bytes = 0;       // per run
  double flops = 0;       // per run
  std::vector<double> ms; // per run
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int fail(const char *what) {
  std::fprintf(stderr, "ssmc-bench: error: %s: %s\n", what, ssmc_last_error());
  return 3;
}

// Profiles `runs` runs of one phase; groups keep first-appearance order.
int profile(ssmc_session *session, const std::vector<int32_t> &tokens, int64_t length,
            int warmup, int runs, std::vector<Group> &groups) {
  std::vector<ssmc_step_time> steps(4096);
  std::map<std::string, size_t> index;
  for (int run = 0; run < warmup + runs; ++run) {
    int32_t count = 0;
    if (ssmc_profile(session, tokens.data(), length, steps.data(),
                     int32_t(steps.size()), &count) != SSMC_OK)
      return fail(length ? "profiling a prefill" : "profiling a decode step");
    if (count > int32_t(steps.size()))
      return fail("more steps than the profile buffer holds");
    if (run < warmup)
      continue;
    std::map<size_t, double> total;
    for (int32_t i = 0; i < count; ++i) {
      const ssmc_step_time &s = steps[size_t(i)];
      std::string name = s.is_gemm ? std::string(s.name) + " " + std::to_string(s.m) + "x" +
                                         std::to_string(s.n) +
                                         "x" + std::to_string(s.k)
                                   : std::string(s.name) + (*s.op ? " " + std::string(s.op) : "");
      auto it = index.find(name);
      if (it == index.end()) {
        it = index.emplace(name, groups.size()).first;
        groups.push_back({name});
      }
      Group &g = groups[it->second];
      if (run == warmup) { // sizes are the same every run
        g.calls += 1;
        g.bytes += double(s.bytes);
        g.flops += s.is_gemm ? 2.0 * double(s.m) * double(s.n) * double(s.k) : 0;
      }
      total[it->second] += s.ms;
    }
    for (auto &[i, ms] : total)
      groups[i].ms.push_back(ms);
  }
  return 0;
}

void report(const KernelBenchOptions &o, const ssmc_model_info_t &info, const char *phase,
            const std::vector<Group> &groups) {
  double all = 0;
  for (const Group &g : groups)
    all += median(g.ms);
  if (!o.json)
    std::printf("\n%s (batch %lld%s), %.3f ms in %zu kinds of steps\n%-44s %5s %10s %6s %10s %10s%s\n",
                phase, (long long)o.batch,
                std::string(phase) == "prefill" ? (", length " + std::to_string(o.length)).c_str() : "",
                all, groups.size(), "step", "calls", "ms", "share", "GB/s", "GFLOP/s",
                o.bandwidthGBs > 0 || o.peakGflops > 0 ? "  of ceiling" : "");
  std::vector<const Group *> order;
  for (const Group &g : groups)
    order.push_back(&g);
  std::stable_sort(order.begin(), order.end(), [](const Group *a, const Group *b) {
    return median(a->ms) > median(b->ms);
  });
  for (const Group *g : order) {
    double ms = median(g->ms);
    double gbs = ms > 0 ? g->bytes / (ms * 1e6) : 0;
    double gflops = ms > 0 ? g->flops / (ms * 1e6) : 0;
    double ceiling = g->flops > 0 ? (o.peakGflops > 0 ? gflops / o.peakGflops : -1)
                                  : (o.bandwidthGBs > 0 ? gbs / o.bandwidthGBs : -1);
    if (o.json) {
      nlohmann::json row{{"bench", "kernels"}, {"model", o.model}, {"device", info.device},
                         {"gemm_math", info.gemm_math},
                         {"phase", phase}, {"batch", o.batch}, {"step", g->name},
                         {"calls", g->calls}, {"ms", ms}, {"share", all > 0 ? ms / all : 0},
                         {"bytes", g->bytes}, {"gb_per_s", gbs}};
      if (g->flops > 0)
        row["gflop_per_s"] = gflops;
      if (std::string(phase) == "prefill")
        row["length"] = o.length;
      if (ceiling >= 0)
        row["fraction_of_ceiling"] = ceiling;
      std::printf("%s\n", row.dump().c_str());
    } else {
      std::printf("%-44s %5d %10.4f %5.1f%% %10.1f %10s", g->name.c_str(), g->calls, ms,
                  all > 0 ? 100 * ms / all : 0, gbs,
                  g->flops > 0 ? std::to_string(int64_t(gflops)).c_str() : "-");
      if (ceiling >= 0)
        std::printf("  %5.1f%%", 100 * ceiling);
      std::printf("\n");
    }
  }
}

} // namespace

int runKernelBench(const KernelBenchOptions &o, ssmc_model *model,
                   const ssmc_model_info_t &info) {
  ssmc_session *session = nullptr;
  if (ssmc_session_create(model, o.batch, &session) != SSMC_OK)
    return fail("creating a session");
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int32_t> token(0, int32_t(info.vocab_size - 1));
  std::vector<int32_t> prompt(size_t(o.batch * o.length)), step(size_t(o.batch));
  for (int32_t &t : prompt)
    t = token(rng);
  for (int32_t &t : step)
    t = token(rng);
  std::vector<Group> prefill, decode;
  int rc = 0;
  if (info.has_prefill)
    rc = profile(session, prompt, o.length, o.warmup, o.repeat, prefill);
  if (!rc && info.has_decode)
    rc = profile(session, step, 0, o.warmup, o.repeat, decode);
  ssmc_session_free(session);
  if (rc)
    return rc;
  if (!prefill.empty())
    report(o, info, "prefill", prefill);
  if (!decode.empty())
    report(o, info, "decode", decode);
  return 0;
}

} // namespace ssmc_bench
