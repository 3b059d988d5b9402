// ssmc-bench: times prefill and decode of a compiled model and prints one JSON
// object per measurement, with the floor it is measured against; or, with
// --grid, a table (or JSON lines) over lists of batch sizes and lengths.
//
// Decode at small batch reads every weight once per token, so its floor is
// weight bytes / memory bandwidth; the bandwidth is measured here (a large
// memcpy, bytes read + written) unless --bandwidth-gbs gives it.
#include "kernels.h"

#include "ssmc/artifact.h"
#include "ssmc/runtime.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

const char *kUsage =
    "usage: ssmc-bench MODEL.ssmc [options]\n"
    "       ssmc-bench MODEL.ssmc --grid [--batches 1,4] [--lengths 64,256] [--json]\n"
    "       ssmc-bench MODEL.ssmc --kernels [--batch B] [--prompt-len L] [--json]\n"
    "\n"
    "Times prefill and token-by-token decode and prints one JSON object per\n"
    "measurement (median/min/max of --repeat runs after --warmup). A prefill\n"
    "ends when its work has finished; a decode step when its logits are in host\n"
    "memory, as in generation.\n"
    "With --grid, measures every (batch, length) pair of the lists and prints a\n"
    "table, or one JSON object per pair with --json. With --kernels, times every\n"
    "step of one prefill and one decode step alone (CUDA events on cuda) and\n"
    "prints them grouped by kernel and GEMM shape, with the achieved GB/s (the\n"
    "bytes of each step's operands) and GFLOP/s.\n"
    "\n"
    "options:\n"
    "  --batch N            sequences per session (default 1)\n"
    "  --prompt-len L       prefill length (default 256)\n"
    "  --decode-tokens T    decode steps timed per run (default 32)\n"
    "  --warmup N           untimed runs first (default 1)\n"
    "  --repeat N           timed runs (default 5)\n"
    "  --threads N          OpenBLAS threads (default: library default)\n"
    "  --device D           cpu, cuda or auto (default auto, as in ssmc-run)\n"
    "  --no-verify          skip payload and external-weight checksums (timing\n"
    "                       does not depend on the weights' values)\n"
    "  --bandwidth-gbs X    memory bandwidth for the floor, GB/s (default: measure\n"
    "                       host memcpy on cpu; no floor on cuda unless given)\n"
    "  --seed S             token seed (default 1)\n"
    "  --prefill-logits M   all (default): logits of every prompt position; last:\n"
    "                       each sequence's last position only, as generation does\n"
    "  --grid               measure a grid of batch sizes x prompt lengths\n"
    "  --batches 1,4        --grid batch sizes (default 1,4)\n"
    "  --lengths 64,256     --grid prompt lengths (default 64,256)\n"
    "  --json               --grid, --kernels: JSON lines instead of the table\n"
    "                       (otherwise the output is JSON already)\n"
    "  --kernels            per-step device times (see above)\n"
    "  --peak-gflops X      --kernels: GEMM rate ceiling for the fraction column\n"
    "  --help               this text\n"
    "exit codes: 0 ok, 1 usage, 2 bad artifact, 3 runtime failure\n";

bool parseInt(const char *text, int64_t lo, int64_t &out);

struct Options {
  std::string model;
  int64_t batch = 1, promptLen = 256, decodeTokens = 32;
  int warmup = 1, repeat = 5, threads = 0;
  ssmc_device device = SSMC_DEVICE_AUTO;
  bool verify = true;
  double bandwidthGBs = 0;
  uint64_t seed = 1;
  bool lastLogits = false; // --prefill-logits last
  bool grid = false, json = false, kernels = false;
  double peakGflops = 0;
  std::vector<int64_t> batches{1, 4}, lengths{64, 256};
  bool singleFlags = false, gridLists = false; // for the mode checks
};

// "1,4,8" -> {1, 4, 8}: positive integers, no empty items.
bool parseList(const std::string &text, std::vector<int64_t> &out) {
  out.clear();
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    int64_t v = 0;
    if (item.empty() || item.size() > 9 || item[0] == '-' || item[0] == '+' ||
        !parseInt(item.c_str(), 1, v))
      return false;
    out.push_back(v);
    if (comma == std::string::npos)
      return true;
    pos = comma + 1;
  }
}

bool parseInt(const char *text, int64_t lo, int64_t &out) {
  char *end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (!*text || *end || v < lo)
    return false;
  out = v;
  return true;
}

int usage(const std::string &message) {
  std::fprintf(stderr, "ssmc-bench: error: %s\n(see ssmc-bench --help)\n", message.c_str());
  return 1;
}

double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Bytes read + written per second of a memcpy over buffers far larger than caches.
double measureBandwidthGBs() {
  const size_t bytes = size_t(1) << 29;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    std::memcpy(dst.data(), src.data(), bytes);
    auto t1 = std::chrono::steady_clock::now();
    best = std::max(best, 2.0 * bytes / seconds(t0, t1) / 1e9);
    src[i] = dst[bytes - 1 - i]; // keep the copies observable
  }
  return best;
}

struct Stats {
  double median, min, max;
};
Stats summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

int fail(int code, const char *what) {
  std::fprintf(stderr, "ssmc-bench: error: %s: %s\n", what, ssmc_last_error());
  return code;
}

// Seconds per prefill and per decode step, one sample per timed run.
struct Samples {
  std::vector<double> prefill, decode;
};

// Runs warmup + repeat rounds of (prefill L random tokens, T decode steps)
// in `session`. Returns 0 or the exit code after printing the error.
// Loads the model with the requested OpenBLAS threads: 0, or the exit code.
int loadModel(const Options &o, ssmc_model *&model, ssmc_model_info_t &info) {
  ssmc_load_options lo;
  ssmc_load_options_init(&lo);
  lo.num_threads = o.threads;
  lo.device = o.device;
  lo.verify_checksums = o.verify;
  if (ssmc_model_load(o.model.c_str(), &lo, &model) != SSMC_OK)
    return fail(2, "loading the model");
  ssmc_model_info(model, &info);
  return 0;
}

// Fetches the last step's logits (on cuda this waits for the step to finish).
bool logitsReady(ssmc_session *session) {
  const float *data = nullptr;
  int64_t dims[SSMC_MAX_RANK];
  int32_t rank = 0;
  return ssmc_logits(session, &data, dims, &rank) == SSMC_OK && data;
}

int measure(ssmc_session *session, const Options &o, int64_t batch, int64_t length,
            int64_t vocab, std::mt19937_64 &rng, Samples &out) {
  std::uniform_int_distribution<int32_t> token(0, int32_t(vocab - 1));
  std::vector<int32_t> prompt(static_cast<size_t>(batch * length));
  std::vector<int32_t> step(static_cast<size_t>(batch));
  for (int32_t &t : prompt)
    t = token(rng);
  for (int run = 0; run < o.warmup + o.repeat; ++run) {
    auto t0 = std::chrono::steady_clock::now();
    if (ssmc_prefill(session, prompt.data(), length) != SSMC_OK ||
        ssmc_session_synchronize(session) != SSMC_OK)
      return fail(3, "prefill");
    auto t1 = std::chrono::steady_clock::now();
    for (int64_t t = 0; t < o.decodeTokens; ++t) {
      for (int32_t &s : step)
        s = token(rng);
      if (ssmc_decode(session, step.data()) != SSMC_OK || !logitsReady(session))
        return fail(3, "decode");
    }
    auto t2 = std::chrono::steady_clock::now();
    if (run >= o.warmup) {
      out.prefill.push_back(seconds(t0, t1));
      out.decode.push_back(seconds(t1, t2) / double(o.decodeTokens));
    }
  }
  return 0;
}

nlohmann::json msStats(const Stats &s) {
  return {{"median", s.median * 1e3}, {"min", s.min * 1e3}, {"max", s.max * 1e3}};
}

// --grid: one session per batch size, one measurement per (batch, length).
int runGrid(const Options &o, ssmc_model *model, const ssmc_model_info_t &info) {
  std::mt19937_64 rng(o.seed);
  if (!o.json)
    std::printf("%6s %8s %12s %14s %14s %14s\n", "batch", "length", "prefill_ms",
                "prefill_tok/s", "decode_ms/tok", "decode_tok/s");
  for (int64_t batch : o.batches) {
    ssmc_session *session = nullptr;
    if (ssmc_session_create(model, batch, &session) != SSMC_OK ||
        ssmc_session_set_prefill_logits(session, o.lastLogits ? SSMC_PREFILL_LOGITS_LAST
                                                              : SSMC_PREFILL_LOGITS_ALL) != SSMC_OK)
      return fail(3, "creating a session");
    for (int64_t length : o.lengths) {
      Samples smp;
      if (int rc = measure(session, o, batch, length, info.vocab_size, rng, smp)) {
        ssmc_session_free(session);
        return rc;
      }
      Stats p = summarize(smp.prefill), d = summarize(smp.decode);
      double prefillTps = double(batch * length) / p.median, decodeTps = double(batch) / d.median;
      if (o.json) {
        nlohmann::json row{{"bench", "grid"}, {"model", o.model}, {"arch", info.arch},
                           {"device", info.device}, {"gemm_math", info.gemm_math},
                           {"batch", batch}, {"length", length},
                           {"decode_tokens", o.decodeTokens}, {"repeat", o.repeat},
                           {"prefill_ms", msStats(p)}, {"prefill_tokens_per_s", prefillTps},
                           {"decode_ms_per_step", msStats(d)},
                           {"decode_tokens_per_s", decodeTps}};
        std::printf("%s\n", row.dump().c_str());
      } else {
        std::printf("%6lld %8lld %12.3f %14.1f %14.4f %14.1f\n", (long long)batch,
                    (long long)length, p.median * 1e3, prefillTps, d.median * 1e3, decodeTps);
      }
      std::fflush(stdout);
    }
    ssmc_session_free(session);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  // --flag=value is the same as --flag value, as in the other tools.
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      args.push_back(a.substr(0, eq));
      args.push_back(a.substr(eq + 1));
    } else {
      args.push_back(a);
    }
  }
  std::vector<char *> argvv{argv[0]};
  for (std::string &a : args)
    argvv.push_back(&a[0]);
  argc = int(argvv.size());
  argv = argvv.data();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](int64_t lo, int64_t &out) {
      return i + 1 < argc && parseInt(argv[++i], lo, out);
    };
    if (a == "--batch" || a == "--prompt-len" || a == "--bandwidth-gbs")
      o.singleFlags = true;
    int64_t v = 0;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--batch") {
      if (!value(1, o.batch)) return usage("--batch needs an integer >= 1");
    } else if (a == "--prompt-len") {
      if (!value(1, o.promptLen)) return usage("--prompt-len needs an integer >= 1");
    } else if (a == "--decode-tokens") {
      if (!value(1, o.decodeTokens)) return usage("--decode-tokens needs an integer >= 1");
    } else if (a == "--warmup") {
      if (!value(0, v)) return usage("--warmup needs an integer >= 0");
      o.warmup = int(v);
    } else if (a == "--repeat") {
      if (!value(1, v)) return usage("--repeat needs an integer >= 1");
      o.repeat = int(v);
    } else if (a == "--threads") {
      if (!value(1, v)) return usage("--threads needs an integer >= 1");
      o.threads = int(v);
    } else if (a == "--no-verify") {
      o.verify = false;
    } else if (a == "--device") {
      std::string d = i + 1 < argc ? argv[++i] : "";
      if (d == "cpu") o.device = SSMC_DEVICE_CPU;
      else if (d == "cuda") o.device = SSMC_DEVICE_CUDA;
      else if (d == "auto") o.device = SSMC_DEVICE_AUTO;
      else return usage("--device needs cpu, cuda or auto");
    } else if (a == "--prefill-logits") {
      std::string m = i + 1 < argc ? argv[++i] : "";
      if (m != "all" && m != "last")
        return usage("--prefill-logits needs all or last");
      o.lastLogits = m == "last";
    } else if (a == "--seed") {
      if (!value(0, v)) return usage("--seed needs an integer >= 0");
      o.seed = uint64_t(v);
    } else if (a == "--bandwidth-gbs") {
      if (i + 1 >= argc || (o.bandwidthGBs = std::atof(argv[++i])) <= 0)
        return usage("--bandwidth-gbs needs a positive number");
    } else if (a == "--grid") {
      o.grid = true;
    } else if (a == "--kernels") {
      o.kernels = true;
    } else if (a == "--peak-gflops") {
      if (i + 1 >= argc || (o.peakGflops = std::atof(argv[++i])) <= 0)
        return usage("--peak-gflops needs a positive number");
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--batches" || a == "--lengths") {
      o.gridLists = true;
      if (i + 1 >= argc || !parseList(argv[++i], a == "--batches" ? o.batches : o.lengths))
        return usage(a + " needs a list of integers >= 1 separated by commas (like 1,4,8)");
    } else if (!a.empty() && a[0] == '-') {
      return usage("unknown option '" + a + "'");
    } else if (o.model.empty()) {
      o.model = a;
    } else {
      return usage("more than one model given");
    }
  }
  if (o.model.empty())
    return usage("no model given");
  if (o.grid && o.singleFlags)
    return usage("--grid takes --batches and --lengths lists (not --batch, --prompt-len "
                 "or --bandwidth-gbs)");
  if (!o.grid && o.gridLists)
    return usage("--batches and --lengths go with --grid");

  ssmc_model *model = nullptr;
  ssmc_model_info_t info;
  if (o.kernels && o.grid)
    return usage("--kernels and --grid are separate modes");
  if (o.kernels) {
    if (int rc = loadModel(o, model, info))
      return rc;
    ssmc_bench::KernelBenchOptions k;
    k.model = o.model;
    k.batch = o.batch;
    k.length = o.promptLen;
    k.warmup = o.warmup;
    k.repeat = o.repeat;
    k.seed = o.seed;
    k.json = o.json;
    k.bandwidthGBs = o.bandwidthGBs;
    k.peakGflops = o.peakGflops;
    int rc = ssmc_bench::runKernelBench(k, model, info);
    ssmc_model_free(model);
    return rc;
  }
  if (o.grid) {
    if (int rc = loadModel(o, model, info))
      return rc;
    int rc = 2;
    if (info.has_prefill && info.has_decode)
      rc = runGrid(o, model, info);
    else
      std::fprintf(stderr, "ssmc-bench: error: %s: the artifact needs prefill and decode "
                           "entry points\n", o.model.c_str());
    ssmc_model_free(model);
    return rc;
  }

  // Weight bytes from the manifest: the decode floor's numerator.
  double weightBytes = 0;
  try {
    ssmc::ArtifactReadOptions ro;
    ro.verifyPayloadChecksums = false;
    auto artifact = ssmc::Artifact::open(o.model, ro);
    auto manifest = nlohmann::json::parse(artifact->manifestText());
    for (const auto &w : manifest.at("weights"))
      weightBytes += w.at("nbytes").get<double>();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "ssmc-bench: error: %s\n", e.what());
    return 2;
  }

  if (int rc = loadModel(o, model, info))
    return rc;
  ssmc_session *session = nullptr;
  if (ssmc_session_create(model, o.batch, &session) != SSMC_OK ||
      ssmc_session_set_prefill_logits(session, o.lastLogits ? SSMC_PREFILL_LOGITS_LAST
                                                            : SSMC_PREFILL_LOGITS_ALL) != SSMC_OK)
    return fail(3, "creating a session");

  std::mt19937_64 rng(o.seed);
  Samples smp;
  if (int rc = measure(session, o, o.batch, o.promptLen, info.vocab_size, rng, smp))
    return rc;
  std::vector<double> &prefill = smp.prefill, &decode = smp.decode;
  ssmc_session_free(session);
  ssmc_model_free(model);

  const bool cuda = std::string(info.device) == "cuda";
  // The host memcpy rate says nothing about a GPU's memory.
  double bandwidth = o.bandwidthGBs > 0 ? o.bandwidthGBs : cuda ? 0 : measureBandwidthGBs();
  unsigned cores = std::thread::hardware_concurrency();
  Stats p = summarize(prefill), d = summarize(decode);
  double tokens = double(o.batch * o.promptLen);
  nlohmann::json common{{"model", o.model}, {"arch", info.arch}, {"n_layer", info.n_layer},
                        {"device", info.device}, {"gemm_math", info.gemm_math},
                        {"cores", cores}, {"batch", o.batch},
                        {"weight_bytes", weightBytes}};
  nlohmann::json pre = common;
  pre.update({{"bench", "prefill"}, {"length", o.promptLen},
              {"prefill_logits", o.lastLogits ? "last" : "all"},
              {"time_ms", {{"median", p.median * 1e3}, {"min", p.min * 1e3}, {"max", p.max * 1e3}}},
              {"tokens_per_s", tokens / p.median}});
  nlohmann::json dec = common;
  double floorSeconds = weightBytes / (bandwidth * 1e9); // one read of the weights per step
  dec.update({{"bench", "decode"}, {"context", o.promptLen},
              {"time_ms_per_step", {{"median", d.median * 1e3}, {"min", d.min * 1e3}, {"max", d.max * 1e3}}},
              {"tokens_per_s", double(o.batch) / d.median}});
  if (bandwidth > 0)
    dec.update({{"memory_bandwidth_gbs", bandwidth},
                {"floor_tokens_per_s", double(o.batch) / floorSeconds},
                {"fraction_of_floor", floorSeconds / d.median}});
  std::printf("%s\n%s\n", pre.dump().c_str(), dec.dump().c_str());
  return 0;
}
