// ssmc-run argument parsing: --flag value and --flag=value, strict integers.
#include "args.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace ssmc_run {

const char *kUsage =
    "usage: ssmc-run MODEL.ssmc (--tokens IDS | --batch-tokens ROWS | --batch-file FILE\n"
    "                            | --prompt TEXT) [options]\n"
    "       ssmc-run MODEL.ssmc --perplexity FILE.txt [--context N] [--json]\n"
    "       ssmc-run MODEL.ssmc --interactive [generation options]\n"
    "\n"
    "Runs a compiled model on the cpu: prefill on the prompt, then decoding with\n"
    "greedy choice or sampling. Prints the generated token ids, one line per\n"
    "sequence (or JSON with --json).\n"
    "\n"
    "prompt:\n"
    "  --tokens 1,2,3          prompt of one sequence (comma-separated ids)\n"
    "  --batch-tokens \"1,2;3,4\" prompts of several sequences (';' between rows,\n"
    "                          all rows of the same length)\n"
    "  --batch-file FILE       one prompt per line: comma-separated ids, or a JSON\n"
    "                          request {\"tokens\": [..]} or {\"prompt\": \"text\"}\n"
    "                          with its own temperature, top_k, top_p, min_p,\n"
    "                          repetition_penalty, seed, max_new_tokens,\n"
    "                          stop_tokens; lengths may differ (each prompt is\n"
    "                          prefilled alone into a batch slot: no padding)\n"
    "  --max-batch N           sequences decoded together (default: all the\n"
    "                          prompts); with more prompts than N, a slot whose\n"
    "                          sequence ends takes the next prompt while the\n"
    "                          others go on (continuous batching)\n"
    "  --prompt TEXT           text, tokenized with the model's tokenizer; the\n"
    "                          generated text is streamed to stdout\n"
    "modes:\n"
    "  --perplexity FILE       score a text file (the model's tokenizer) with teacher\n"
    "                          forcing; prints perplexity, bits per token and per byte\n"
    "  --perplexity-tokens FILE  the same for comma-separated ids (no tokenizer needed)\n"
    "  --context N             perplexity window in tokens (default 1024, >= 2)\n"
    "  --interactive           read prompts from stdin, one per line, and generate\n"
    "                          after each; turns continue one conversation (state\n"
    "                          kept). Ends on EOF, an empty line or /quit\n"
    "  --reset-each-turn       with --interactive: start every turn from scratch\n"
    "generation:\n"
    "  --max-new-tokens N      tokens to generate per sequence (default 16)\n"
    "  --stop-tokens 1,2       a sequence ends after emitting one of these ids\n"
    "  --temperature T         0 (default) = greedy; > 0 samples from softmax(l/T)\n"
    "  --top-k K               keep the K most likely ids (0 = off)\n"
    "  --top-p P               keep the smallest set of mass >= P, in (0, 1]\n"
    "  --min-p P               keep ids with p >= P * p_max, in [0, 1]\n"
    "  --repetition-penalty R  > 0; divides positive / multiplies negative logits\n"
    "                          of ids already in the sequence (1 = off)\n"
    "  --seed S                RNG seed; sequence i uses S + i (default 0)\n"
    "                          (--top-k/--top-p/--min-p without --temperature\n"
    "                          sample at temperature 1)\n"
    "output and setup:\n"
    "  --json                  print tokens per sequence and timings as JSON\n"
    "  --dump-logits OUT.npy   write the prompt logits [batch, L, padded_vocab]\n"
    "                          as float32 .npy (prompts of one length only)\n"
    "  --device cpu|cuda|auto  where to run (default auto: cuda when the artifact\n"
    "                          has a cuda image and a GPU is usable, else cpu)\n"
    "  --threads N             OpenBLAS threads (default: library default)\n"
    "  --no-verify             skip payload and external-weight checksums\n"
    "  --help                  show this text\n"
    "\n"
    "exit codes: 0 ok, 1 usage or bad input (flags, token lists, prompt files,\n"
    "ids outside the vocabulary), 2 bad input file or artifact, 3 runtime failure\n";

namespace {

std::optional<int64_t> parseInt(const std::string &s, int64_t lo, int64_t hi) {
  if (s.empty() || s.size() > 19)
    return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9')
      return std::nullopt;
  errno = 0;
  long long v = std::strtoll(s.c_str(), nullptr, 10);
  if (errno != 0 || v < lo || v > hi)
    return std::nullopt;
  return v;
}

std::optional<double> parseReal(const std::string &s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])))
    return std::nullopt;
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

} // namespace

std::optional<std::vector<int32_t>> parseTokenList(const std::string &text,
                                                   std::string &error) {
  std::vector<int32_t> out;
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string item = trim(text.substr(pos, comma == std::string::npos ? std::string::npos
                                                                        : comma - pos));
    auto v = parseInt(item, 0, INT32_MAX);
    if (!v) {
      error = "bad token id \"" + item + "\" in \"" + text +
              "\" (expected non-negative integers separated by commas)";
      return std::nullopt;
    }
    out.push_back(static_cast<int32_t>(*v));
    if (comma == std::string::npos)
      return out;
    pos = comma + 1;
  }
}

std::optional<std::vector<std::vector<int32_t>>>
parseBatchTokens(const std::string &text, std::string &error) {
  std::vector<std::vector<int32_t>> rows;
  size_t pos = 0;
  while (true) {
    size_t semi = text.find(';', pos);
    auto row = parseTokenList(text.substr(pos, semi == std::string::npos ? std::string::npos
                                                                         : semi - pos),
                              error);
    if (!row) {
      error = "sequence " + std::to_string(rows.size()) + ": " + error;
      return std::nullopt;
    }
    if (!rows.empty() && row->size() != rows[0].size()) {
      error = "sequence " + std::to_string(rows.size()) + " has " +
              std::to_string(row->size()) + " tokens, sequence 0 has " +
              std::to_string(rows[0].size()) + " (all prompts must have the same length)";
      return std::nullopt;
    }
    rows.push_back(std::move(*row));
    if (semi == std::string::npos)
      return rows;
    pos = semi + 1;
  }
}

bool realSettingOk(RealSetting setting, double v) {
  switch (setting) {
  case RealSetting::Temperature: return v >= 0;
  case RealSetting::TopP: return v > 0 && v <= 1;
  case RealSetting::MinP: return v >= 0 && v <= 1;
  case RealSetting::RepetitionPenalty: return v > 0;
  }
  return false;
}

const char *realSettingExpects(RealSetting setting) {
  switch (setting) {
  case RealSetting::Temperature: return "a number >= 0";
  case RealSetting::TopP: return "a number in (0, 1]";
  case RealSetting::MinP: return "a number in [0, 1]";
  case RealSetting::RepetitionPenalty: return "a number > 0";
  }
  return "";
}

std::optional<Options> parseArgs(int argc, char **argv, std::string &error) {
  Options o;
  bool haveTokens = false;
  bool temperatureSet = false, samplingFilter = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool inlineValue = false;
    if (arg.rfind("--", 0) == 0) {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        inlineValue = true;
      }
    }
    auto takeValue = [&]() -> bool {
      if (inlineValue)
        return true;
      if (i + 1 >= argc) {
        error = arg + " needs a value";
        return false;
      }
      value = argv[++i];
      return true;
    };
    auto noValue = [&]() -> bool {
      if (inlineValue) {
        error = arg + " takes no value";
        return false;
      }
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      if (!noValue())
        return std::nullopt;
      o.help = true;
    } else if (arg == "--no-verify") {
      if (!noValue())
        return std::nullopt;
      o.verify = false;
    } else if (arg == "--json") {
      if (!noValue())
        return std::nullopt;
      o.json = true;
    } else if (arg == "--tokens" || arg == "--batch-tokens" || arg == "--batch-file" ||
               arg == "--prompt") {
      if (!takeValue())
        return std::nullopt;
      if (haveTokens) {
        error = "give the prompt once (--tokens, --batch-tokens, --batch-file or --prompt)";
        return std::nullopt;
      }
      haveTokens = true;
      if (arg == "--tokens") {
        auto t = parseTokenList(value, error);
        if (!t) {
          error = "--tokens: " + error;
          return std::nullopt;
        }
        o.prompts.push_back(std::move(*t));
      } else if (arg == "--batch-tokens") {
        auto rows = parseBatchTokens(value, error);
        if (!rows) {
          error = "--batch-tokens: " + error;
          return std::nullopt;
        }
        o.prompts = std::move(*rows);
      } else if (value.empty()) {
        error = arg + ": empty value";
        return std::nullopt;
      } else {
        (arg == "--batch-file" ? o.batchFile : o.promptText) = value;
      }
    } else if (arg == "--interactive" || arg == "--reset-each-turn") {
      if (!noValue())
        return std::nullopt;
      (arg == "--interactive" ? o.interactive : o.resetEachTurn) = true;
    } else if (arg == "--perplexity" || arg == "--perplexity-tokens") {
      if (!takeValue())
        return std::nullopt;
      if (value.empty()) {
        error = arg + ": empty path";
        return std::nullopt;
      }
      if (!o.perplexityText.empty() || !o.perplexityTokens.empty()) {
        error = "give the text to score once (--perplexity or --perplexity-tokens)";
        return std::nullopt;
      }
      (arg == "--perplexity" ? o.perplexityText : o.perplexityTokens) = value;
    } else if (arg == "--max-batch") {
      if (!takeValue())
        return std::nullopt;
      auto v = parseInt(value, 1, 1 << 20);
      if (!v) {
        error = "--max-batch: expected an integer in [1, 1048576], got \"" + value + "\"";
        return std::nullopt;
      }
      o.maxBatch = *v;
    } else if (arg == "--context") {
      if (!takeValue())
        return std::nullopt;
      auto v = parseInt(value, 2, 1 << 24);
      if (!v) {
        error = "--context: expected an integer in [2, 16777216], got \"" + value + "\"";
        return std::nullopt;
      }
      o.context = *v;
      o.contextSet = true;
    } else if (arg == "--stop-tokens") {
      if (!takeValue())
        return std::nullopt;
      auto t = parseTokenList(value, error);
      if (!t) {
        error = "--stop-tokens: " + error;
        return std::nullopt;
      }
      o.stopTokens = std::move(*t);
    } else if (arg == "--temperature" || arg == "--top-p" || arg == "--min-p" ||
               arg == "--repetition-penalty") {
      if (!takeValue())
        return std::nullopt;
      auto v = parseReal(value);
      const bool isTemp = arg == "--temperature", isRep = arg == "--repetition-penalty";
      const RealSetting setting = isTemp ? RealSetting::Temperature
                                  : isRep ? RealSetting::RepetitionPenalty
                                  : arg == "--top-p" ? RealSetting::TopP
                                                     : RealSetting::MinP;
      if (!v || !realSettingOk(setting, *v)) {
        error = arg + ": expected " + realSettingExpects(setting) + ", got \"" + value + "\"";
        return std::nullopt;
      }
      if (isTemp) {
        o.temperature = *v;
        temperatureSet = true;
      } else if (isRep) {
        o.repetitionPenalty = *v;
      } else {
        (arg == "--top-p" ? o.topP : o.minP) = *v;
        samplingFilter = true;
      }
    } else if (arg == "--top-k") {
      if (!takeValue())
        return std::nullopt;
      auto v = parseInt(value, 0, INT32_MAX);
      if (!v) {
        error = "--top-k: expected a non-negative integer, got \"" + value + "\"";
        return std::nullopt;
      }
      o.topK = *v;
      samplingFilter = true;
    } else if (arg == "--seed") {
      if (!takeValue())
        return std::nullopt;
      auto v = parseInt(value, 0, INT64_MAX);
      if (!v) {
        error = "--seed: expected a non-negative integer, got \"" + value + "\"";
        return std::nullopt;
      }
      o.seed = static_cast<uint64_t>(*v);
    } else if (arg == "--device") {
      if (!takeValue())
        return std::nullopt;
      if (value != "cpu" && value != "cuda" && value != "auto") {
        error = "--device: unknown device \"" + value + "\" (expected cpu, cuda or auto)";
        return std::nullopt;
      }
      o.device = value;
    } else if (arg == "--max-new-tokens") {
      if (!takeValue())
        return std::nullopt;
      auto v = parseInt(value, 0, kMaxNewTokensLimit);
      if (!v) {
        error = std::string("--max-new-tokens: expected ") + kMaxNewTokensExpects + ", got \"" +
                value + "\"";
        return std::nullopt;
      }
      o.maxNewTokens = *v;
    } else if (arg == "--threads") {
      if (!takeValue())
        return std::nullopt;
      auto v = parseInt(value, 1, 4096);
      if (!v) {
        error = "--threads: expected an integer in [1, 4096], got \"" + value + "\"";
        return std::nullopt;
      }
      o.threads = static_cast<int>(*v);
    } else if (arg == "--dump-logits") {
      if (!takeValue())
        return std::nullopt;
      if (value.empty()) {
        error = "--dump-logits: empty path";
        return std::nullopt;
      }
      o.dumpLogits = value;
    } else if (arg.size() > 1 && arg[0] == '-') {
      error = "unknown option " + arg;
      return std::nullopt;
    } else {
      if (!o.model.empty()) {
        error = "more than one model given (\"" + o.model + "\" and \"" + arg + "\")";
        return std::nullopt;
      }
      o.model = arg;
    }
  }
  if (o.help)
    return o;
  if (o.model.empty()) {
    error = "no model given";
    return std::nullopt;
  }
  const bool perplexity = !o.perplexityText.empty() || !o.perplexityTokens.empty();
  if (perplexity && o.interactive) {
    error = "--perplexity and --interactive are separate modes; give one";
    return std::nullopt;
  }
  if ((perplexity || o.interactive) && haveTokens) {
    error = std::string(!perplexity                     ? "--interactive"
                        : o.perplexityTokens.empty() ? "--perplexity"
                                                     : "--perplexity-tokens") +
            " takes no prompt flag (--tokens, --batch-tokens, --batch-file or --prompt)";
    return std::nullopt;
  }
  if ((perplexity || o.interactive) && !o.dumpLogits.empty()) {
    error = "--dump-logits works with a prompt flag only";
    return std::nullopt;
  }
  if (o.interactive && o.json) {
    error = "--interactive streams text; --json is not available with it";
    return std::nullopt;
  }
  if (o.contextSet && !perplexity) {
    error = "--context applies to --perplexity only";
    return std::nullopt;
  }
  if (o.resetEachTurn && !o.interactive) {
    error = "--reset-each-turn applies to --interactive only";
    return std::nullopt;
  }
  if (!haveTokens && !perplexity && !o.interactive) {
    error = "no prompt given (--tokens, --batch-tokens, --batch-file or --prompt; or "
            "--perplexity / --interactive)";
    return std::nullopt;
  }
  // Asking for a filter means asking to sample; greedy would ignore it.
  if (samplingFilter && !temperatureSet)
    o.temperature = 1.0;
  return o;
}

} // namespace ssmc_run
