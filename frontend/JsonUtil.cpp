#include "frontend/JsonUtil.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>
#include <sstream>

namespace ssmc::frontend {

using nlohmann::json;

namespace {

// Python writes +-inf as bare Infinity / -Infinity, which JSON lacks. They
// are swapped (outside strings) for the largest double, and that value is
// turned back into inf after parsing. Returns whether anything was swapped.
const char *kInfinityStandIn = "1.7976931348623157e308";

bool replacePythonInfinity(std::string &text) {
  static const std::string token = "Infinity";
  std::string out;
  out.reserve(text.size());
  bool inString = false, replaced = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      out += c;
      if (c == '\\' && i + 1 < text.size())
        out += text[++i];
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    if (c == 'I' && text.compare(i, token.size(), token) == 0) {
      out += kInfinityStandIn;
      i += token.size() - 1;
      replaced = true;
      continue;
    }
    out += c;
  }
  text.swap(out);
  return replaced;
}

// Iterative, so a deeply nested document cannot exhaust the stack.
void restoreInfinity(json &root) {
  const double big = std::numeric_limits<double>::max();
  std::vector<json *> stack = {&root};
  while (!stack.empty()) {
    json *v = stack.back();
    stack.pop_back();
    if (v->is_number_float() && std::fabs(v->get<double>()) == big)
      *v = v->get<double>() > 0 ? std::numeric_limits<double>::infinity()
                                : -std::numeric_limits<double>::infinity();
    else if (v->is_structured())
      for (json &child : *v)
        stack.push_back(&child);
  }
}

} // namespace

json parseJsonText(const std::string &text, const std::string &file) {
  std::string cleaned = text;
  const bool hadInfinity = replacePythonInfinity(cleaned);
  try {
    json value = json::parse(cleaned);
    if (hadInfinity)
      restoreInfinity(value);
    return value;
  } catch (const json::exception &e) {
    throw ImportError(file, std::string("not valid JSON: ") + e.what());
  }
}

std::string readTextFile(const std::string &path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw ImportError(path, "file not found");
  if (!std::filesystem::is_regular_file(path, ec))
    throw ImportError(path, "not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ImportError(path, std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw ImportError(path, "read error");
  return text.str();
}

json readJsonFile(const std::string &path) {
  return parseJsonText(readTextFile(path), path);
}

std::string JsonReader::keyName(const std::string &key) const {
  return "\"" + (what_.empty() ? key : what_ + "." + key) + "\"";
}

void JsonReader::fail(const std::string &key, const std::string &problem) const {
  throw ImportError(file_, "key " + keyName(key) + ": " + problem);
}

bool JsonReader::has(const std::string &key) const {
  return obj_.is_object() && obj_.contains(key) && !obj_[key].is_null();
}

const json &JsonReader::at(const std::string &key) const {
  if (!has(key))
    throw ImportError(file_, "missing required key " + keyName(key));
  return obj_[key];
}

int64_t JsonReader::asInt(const json &v, const std::string &key) const {
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      fail(key, "integer out of range");
    return static_cast<int64_t>(v.get<uint64_t>());
  }
  if (v.is_number_integer())
    return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)
      return static_cast<int64_t>(d);
    fail(key, "expected an integer, got " + v.dump());
  }
  fail(key, std::string("expected an integer, got ") + v.type_name());
}

double JsonReader::asNumber(const json &v, const std::string &key) const {
  if (!v.is_number())
    fail(key, std::string("expected a number, got ") + v.type_name());
  return v.get<double>();
}

int64_t JsonReader::getInt(const std::string &key) const {
  return asInt(at(key), key);
}
int64_t JsonReader::getInt(const std::string &key, int64_t fallback) const {
  return has(key) ? getInt(key) : fallback;
}
double JsonReader::getNumber(const std::string &key) const {
  return asNumber(at(key), key);
}
double JsonReader::getNumber(const std::string &key, double fallback) const {
  return has(key) ? getNumber(key) : fallback;
}
bool JsonReader::getBool(const std::string &key) const {
  const json &v = at(key);
  if (!v.is_boolean())
    fail(key, std::string("expected a boolean, got ") + v.type_name());
  return v.get<bool>();
}
bool JsonReader::getBool(const std::string &key, bool fallback) const {
  return has(key) ? getBool(key) : fallback;
}
std::string JsonReader::getString(const std::string &key) const {
  const json &v = at(key);
  if (!v.is_string())
    fail(key, std::string("expected a string, got ") + v.type_name());
  return v.get<std::string>();
}
std::string JsonReader::getString(const std::string &key,
                                  const std::string &fallback) const {
  return has(key) ? getString(key) : fallback;
}

} // namespace ssmc::frontend
