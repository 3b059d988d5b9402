// C API: per-sequence state snapshots (see snapshot.h).
#include "c_api_internal.h"
#include "snapshot.h"

using ssmc_capi::guard;
using ssmc_capi::require;

extern "C" {

ssmc_status ssmc_snapshot_size(const ssmc_session *session, size_t *nbytes) {
  return guard([&] {
    require(session, "session");
    require(nbytes, "nbytes");
    *nbytes = ssmc::snapshotSize(*session->session);
  });
}

ssmc_status ssmc_snapshot_save(const ssmc_session *session, int64_t sequence, void *dst,
                               size_t nbytes) {
  return guard([&] {
    require(session, "session");
    ssmc::snapshotSave(*session->session, sequence, dst, nbytes);
  });
}

ssmc_status ssmc_snapshot_load(ssmc_session *session, int64_t sequence, const void *src,
                               size_t nbytes) {
  return guard([&] {
    require(session, "session");
    ssmc::snapshotLoad(*session->session, sequence, src, nbytes);
  });
}

ssmc_status ssmc_snapshot_fork(ssmc_session *session, const void *src, size_t nbytes,
                               const int64_t *sequences, int64_t count) {
  return guard([&] {
    require(session, "session");
    require(sequences || count == 0, "sequences");
    ssmc::Session &s = *session->session;
    if (count < 0)
      throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                               "snapshot: fork count must be >= 0, got " + std::to_string(count));
    // Check every index before touching any state, so a bad call changes nothing.
    for (int64_t i = 0; i < count; ++i)
      if (sequences[i] < 0 || sequences[i] >= s.batch())
        throw ssmc::RuntimeError(ssmc::ErrorCode::InvalidArgument,
                                 "snapshot: sequences[" + std::to_string(i) + "] = " +
                                     std::to_string(sequences[i]) + " is outside [0, " +
                                     std::to_string(s.batch()) + ")");
    for (int64_t i = 0; i < count; ++i)
      ssmc::snapshotLoad(s, sequences[i], src, nbytes);
  });
}

ssmc_status ssmc_copy_sequence(ssmc_session *session, int64_t from, int64_t to) {
  return guard([&] {
    require(session, "session");
    ssmc::sequenceCopy(*session->session, from, to);
  });
}

} // extern "C"
