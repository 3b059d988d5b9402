#ifndef SSMC_FRONTEND_JSONUTIL_H
#define SSMC_FRONTEND_JSONUTIL_H

// Reading JSON files with ImportErrors that name the file and the key.
// Shared by the config importer, the shard index and the graph format.

#include "frontend/ModelGraph.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ssmc::frontend {

// Reads and parses `path`. Python's json module writes the bare tokens
// Infinity and -Infinity (Mamba-2 configs: time_step_limit); they are read as
// +-inf. NaN is rejected.
nlohmann::json readJsonFile(const std::string &path);
// The whole file as text; a missing or unreadable file is an ImportError.
std::string readTextFile(const std::string &path);
// The same for text already in memory; `file` labels the errors.
nlohmann::json parseJsonText(const std::string &text, const std::string &file);

// Typed access to obj[key]: `what` names the object for messages (e.g.
// "ssm_cfg"); an empty `what` means the top level. A wrong JSON type is an
// ImportError naming the file and key.
class JsonReader {
public:
  JsonReader(const nlohmann::json &obj, std::string file, std::string what = "")
      : obj_(obj), file_(std::move(file)), what_(std::move(what)) {}

  bool has(const std::string &key) const;
  const nlohmann::json &at(const std::string &key) const; // required
  // Integers: JSON integers, or floats with an integral value (2.0).
  int64_t getInt(const std::string &key) const;
  int64_t getInt(const std::string &key, int64_t fallback) const;
  double getNumber(const std::string &key) const;
  double getNumber(const std::string &key, double fallback) const;
  bool getBool(const std::string &key) const;
  bool getBool(const std::string &key, bool fallback) const;
  std::string getString(const std::string &key) const;
  std::string getString(const std::string &key, const std::string &fallback) const;

  // Value checks shared by all readers; `key` is used in the message.
  int64_t asInt(const nlohmann::json &v, const std::string &key) const;
  double asNumber(const nlohmann::json &v, const std::string &key) const;
  [[noreturn]] void fail(const std::string &key, const std::string &problem) const;
  std::string keyName(const std::string &key) const;
  const std::string &file() const { return file_; }

private:
  const nlohmann::json &obj_;
  std::string file_;
  std::string what_;
};

} // namespace ssmc::frontend

#endif
