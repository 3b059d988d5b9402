// One allocation for a bound entry point's temp buffers. A temp lives from
// the first step that touches it to the last; temps whose lives overlap get
// disjoint byte ranges, the others may share theirs. Without this a 1.4b
// prefill at 8 x 2048 wanted a buffer per value of every layer (over 70 GB).
#ifndef SSMC_SRC_ARENA_H
#define SSMC_SRC_ARENA_H

#include "bind.h"

#include <cstdint>
#include <vector>

namespace ssmc {

// Offsets in the arena are multiples of this (cuBLASLt and vector loads).
constexpr int64_t kArenaAlignment = 256;

struct ArenaBuffer {
  int64_t bytes = 0;
  int first = 0, last = 0; // steps, inclusive
};

struct ArenaPlan {
  std::vector<int64_t> offsets; // per buffer
  int64_t bytes = 0;            // the arena's size
};

// Lays buffers out greedily, largest first, each at the lowest aligned
// offset clear of every placed buffer whose life overlaps its own.
ArenaPlan planArena(const std::vector<ArenaBuffer> &buffers);

// The lives of `ep`'s temp buffers in `bound` (indexed like ep.buffers;
// other kinds, and temps no step touches, have 0 bytes).
std::vector<ArenaBuffer> tempLives(const EntryPoint &ep, const BoundEntry &bound);

} // namespace ssmc

#endif // SSMC_SRC_ARENA_H
