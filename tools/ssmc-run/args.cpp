// ssmc-run argument parsing: --flag value and --flag=value, strict integers.
#include "args.h"

#include <cerrno>
#include <cstdlib>

namespace ssmc_run {

const char *kUsage =
    "usage: ssmc-run MODEL.ssmc (--tokens IDS | --batch-tokens ROWS) [options]\n"
    "\n"
    "Runs a compiled model on the cpu: prefill on the prompt, then greedy\n"
    "decoding. Prints the generated token ids, one line per sequence.\n"
    "\n"
    "  --tokens 1,2,3          prompt of one sequence (comma-separated ids)\n"
    "  --batch-tokens \"1,2;3,4\" prompts of several sequences (';' between rows,\n"
    "                          all rows of the same length)\n"
    "  --max-new-tokens N      tokens to generate per sequence (default 16)\n"
    "  --dump-logits OUT.npy   write the prompt logits [batch, L, padded_vocab]\n"
    "                          as float32 .npy\n"
    "  --threads N             OpenBLAS threads (default: library default)\n"
    "  --no-verify             skip payload and external-weight checksums\n"
    "  --help                  show this text\n"
    "\n"
    "exit codes: 0 ok, 1 usage or bad input (flags, token lists, ids outside\n"
    "the vocabulary), 2 bad input file or artifact, 3 runtime failure\n";

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

std::optional<Options> parseArgs(int argc, char **argv, std::string &error) {
  Options o;
  bool haveTokens = false;
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
    } else if (arg == "--tokens" || arg == "--batch-tokens") {
      if (!takeValue())
        return std::nullopt;
      if (haveTokens) {
        error = "give the prompt once (--tokens or --batch-tokens)";
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
      } else {
        auto rows = parseBatchTokens(value, error);
        if (!rows) {
          error = "--batch-tokens: " + error;
          return std::nullopt;
        }
        o.prompts = std::move(*rows);
      }
    } else if (arg == "--max-new-tokens") {
      if (!takeValue())
        return std::nullopt;
      auto v = parseInt(value, 0, 1 << 30);
      if (!v) {
        error = "--max-new-tokens: expected a non-negative integer, got \"" + value + "\"";
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
  if (!haveTokens) {
    error = "no prompt given (--tokens or --batch-tokens)";
    return std::nullopt;
  }
  return o;
}

} // namespace ssmc_run
