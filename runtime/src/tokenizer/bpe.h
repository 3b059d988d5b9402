// Byte-level BPE merging: a word's bytes start as one token each and the
// adjacent pair with the lowest merge rank is merged until no pair has a rank.
#ifndef SSMC_SRC_TOKENIZER_BPE_H
#define SSMC_SRC_TOKENIZER_BPE_H

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ssmc {

class BpeMerger {
public:
  // Token id of each byte's single-character token.
  void setByteToken(uint8_t byte, int32_t id) { byteToken_[byte] = id; }
  // Merge number `rank` (lower merges first): left + right -> merged.
  // Returns false if the pair already has a (lower) rank.
  bool addMerge(int32_t left, int32_t right, int32_t merged, int32_t rank);

  // Appends the ids of `word` (any bytes) to `out`. O(n log n) in its length.
  void encode(std::string_view word, std::vector<int32_t> &out) const;

private:
  struct Merge {
    int32_t rank, merged;
  };
  static uint64_t key(int32_t a, int32_t b) {
    return (uint64_t(uint32_t(a)) << 32) | uint32_t(b);
  }
  const Merge *find(int32_t a, int32_t b) const {
    auto it = merges_.find(key(a, b));
    return it == merges_.end() ? nullptr : &it->second;
  }

  std::array<int32_t, 256> byteToken_{};
  std::unordered_map<uint64_t, Merge> merges_;
};

} // namespace ssmc

#endif // SSMC_SRC_TOKENIZER_BPE_H
