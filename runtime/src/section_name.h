// The one rule for section names, shared by writer and reader.
#ifndef SSMC_SRC_SECTION_NAME_H
#define SSMC_SRC_SECTION_NAME_H

#include "ssmc/artifact.h"

#include <string>

namespace ssmc {

// 1..31 printable ASCII characters (the 32-byte field keeps a zero byte).
inline bool validSectionName(const std::string &name, std::string &why) {
  if (name.empty()) {
    why = "empty name";
    return false;
  }
  if (name.size() >= kSectionNameBytes) {
    why = "longer than " + std::to_string(kSectionNameBytes - 1) + " bytes";
    return false;
  }
  for (unsigned char c : name)
    if (c < 0x21 || c > 0x7e) {
      why = "not printable ASCII";
      return false;
    }
  return true;
}

} // namespace ssmc

#endif // SSMC_SRC_SECTION_NAME_H
