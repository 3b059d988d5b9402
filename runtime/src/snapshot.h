// Per-sequence state snapshots: one sequence's slice of every named state
// tensor, packed behind a small header, so a sequence can be saved, restored
// or forked into other batch slots (O(state), independent of its length).
//
// Layout (little-endian): "SSMCSNP1" | u32 version (1) | u32 state count |
// u64 payload bytes | u64 layout hash (FNV-1a 64 over each state's name,
// dtype and per-sequence bytes) | payload: the states in manifest order.
#ifndef SSMC_SRC_SNAPSHOT_H
#define SSMC_SRC_SNAPSHOT_H

#include "session.h"

#include <cstddef>
#include <cstdint>

namespace ssmc {

constexpr size_t kSnapshotHeaderBytes = 32;

// Bytes of one sequence's snapshot. Throws Unsupported when a state tensor
// is not laid out as [B, ...] with B only in the leading dimension.
size_t snapshotSize(const Session &s);
// Copies sequence `seq`'s state into dst (exactly snapshotSize bytes).
void snapshotSave(const Session &s, int64_t seq, void *dst, size_t bytes);
// Checks the header against this model's layout, then overwrites sequence
// `seq`'s state. Other sequences are untouched.
void snapshotLoad(Session &s, int64_t seq, const void *src, size_t bytes);
// Sequence `to`'s state becomes a copy of sequence `from`'s, without
// leaving the backend's memory (from == to changes nothing).
void sequenceCopy(Session &s, int64_t from, int64_t to);

} // namespace ssmc

#endif // SSMC_SRC_SNAPSHOT_H
