// Snapshots of one sequence's recurrent state (see snapshot.h for the layout).
#include "snapshot.h"

#include "ssmc/artifact.h"
#include "ssmc/error.h"

#include <cstring>
#include <string>
#include <utility>

namespace ssmc {

namespace {

constexpr char kMagic[8] = {'S', 'S', 'M', 'C', 'S', 'N', 'P', '1'};
constexpr uint32_t kVersion = 1;

[[noreturn]] void invalid(const std::string &msg) {
  throw RuntimeError(ErrorCode::InvalidArgument, "snapshot: " + msg);
}

// Bytes of sequence b's slice of state i (states are [B, ...], batch-major).
size_t sliceBytes(const Session &s, size_t i) {
  const StateDesc &d = s.model().manifest().states[i];
  bool leadingB = !d.shape.empty() && d.shape[0].isSymbol('B');
  for (size_t r = 1; leadingB && r < d.shape.size(); ++r)
    leadingB = d.shape[r].isConstant();
  if (!leadingB)
    throw RuntimeError(ErrorCode::Unsupported,
                       s.model().path() + ": state \"" + d.name +
                           "\" is not laid out as [B, ...]; per-sequence snapshots need "
                           "the batch as the leading dimension only");
  return s.stateBytesAt(i) / static_cast<size_t>(s.batch());
}

struct Layout {
  size_t payload = 0;
  uint64_t hash = 0;
};

Layout layoutOf(const Session &s) {
  Layout l;
  std::string key;
  for (size_t i = 0; i < s.stateCount(); ++i) {
    const StateDesc &d = s.model().manifest().states[i];
    size_t n = sliceBytes(s, i);
    l.payload += n;
    key += d.name + '\0' + dtypeName(d.dtype) + '\0' +
           std::to_string(n) + '\0';
  }
  l.hash = fnv1a64(key.data(), key.size());
  return l;
}

void checkSequence(const Session &s, int64_t seq) {
  if (seq < 0 || seq >= s.batch())
    invalid("sequence index " + std::to_string(seq) + " is outside [0, " +
            std::to_string(s.batch()) + ")");
}

void checkBuffer(const void *p, size_t bytes, size_t want) {
  if (!p)
    invalid("buffer is null");
  if (bytes != want)
    invalid("buffer has " + std::to_string(bytes) + " bytes; this model's snapshots have " +
            std::to_string(want) + " (ssmc_snapshot_size)");
}

} // namespace

size_t snapshotSize(const Session &s) { return kSnapshotHeaderBytes + layoutOf(s).payload; }

void snapshotSave(const Session &s, int64_t seq, void *dst, size_t bytes) {
  checkSequence(s, seq);
  Layout l = layoutOf(s);
  checkBuffer(dst, bytes, kSnapshotHeaderBytes + l.payload);
  auto *out = static_cast<uint8_t *>(dst);
  uint32_t count = static_cast<uint32_t>(s.stateCount());
  uint64_t payload = l.payload;
  std::memcpy(out, kMagic, 8);
  std::memcpy(out + 8, &kVersion, 4);
  std::memcpy(out + 12, &count, 4);
  std::memcpy(out + 16, &payload, 8);
  std::memcpy(out + 24, &l.hash, 8);
  out += kSnapshotHeaderBytes;
  for (size_t i = 0; i < s.stateCount(); ++i) {
    size_t n = sliceBytes(s, i);
    s.copyStateOut(i, n * seq, out, n);
    out += n;
  }
}

void snapshotLoad(Session &s, int64_t seq, const void *src, size_t bytes) {
  checkSequence(s, seq);
  Layout l = layoutOf(s);
  checkBuffer(src, bytes, kSnapshotHeaderBytes + l.payload);
  const auto *in = static_cast<const uint8_t *>(src);
  uint32_t version = 0, count = 0;
  uint64_t payload = 0, hash = 0;
  std::memcpy(&version, in + 8, 4);
  std::memcpy(&count, in + 12, 4);
  std::memcpy(&payload, in + 16, 8);
  std::memcpy(&hash, in + 24, 8);
  if (std::memcmp(in, kMagic, 8) != 0)
    invalid("not an ssmc snapshot (bad magic)");
  if (version != kVersion)
    invalid("snapshot version " + std::to_string(version) + " is not supported (expected " +
            std::to_string(kVersion) + ")");
  if (count != s.stateCount() || payload != l.payload || hash != l.hash)
    invalid("snapshot was taken from a model with a different state layout (" +
            std::to_string(count) + " states, " + std::to_string(payload) +
            " bytes; this model: " + std::to_string(s.stateCount()) + " states, " +
            std::to_string(l.payload) + " bytes)");
  in += kSnapshotHeaderBytes;
  for (size_t i = 0; i < s.stateCount(); ++i) {
    size_t n = sliceBytes(s, i);
    s.copyStateIn(i, n * seq, in, n);
    in += n;
  }
}

void sequenceCopy(Session &s, int64_t from, int64_t to) {
  for (auto [what, seq] : {std::pair<const char *, int64_t>{"from", from}, {"to", to}})
    if (seq < 0 || seq >= s.batch())
      throw RuntimeError(ErrorCode::InvalidArgument,
                         std::string("copy sequence: ") + what + " = " + std::to_string(seq) +
                             " is outside [0, " + std::to_string(s.batch()) + ")");
  if (from == to)
    return;
  for (size_t i = 0; i < s.stateCount(); ++i) {
    size_t n = sliceBytes(s, i);
    s.copyStateWithin(i, n * size_t(to), n * size_t(from), n);
  }
}

} // namespace ssmc
