/* The ssmc runtime C API: load a compiled `.ssmc` artifact, create sessions
 * (a batch of sequences with their state), run prefill and decode, read the
 * logits. Plain C, opaque handles; no MLIR or LLVM behind it.
 *
 * Every function returning ssmc_status returns SSMC_OK (0) on success; on
 * failure ssmc_last_error() holds a message naming the file and the problem.
 * A model may be shared by sessions on different threads; a session must be
 * used by one thread at a time. */
#ifndef SSMC_RUNTIME_H
#define SSMC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define SSMC_API __attribute__((visibility("default")))
#else
#define SSMC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ssmc_status {
  SSMC_OK = 0,
  SSMC_ERROR_INVALID_ARGUMENT = 1, /* null pointer, batch < 1, unknown state */
  SSMC_ERROR_IO = 2,               /* file cannot be opened/read/mapped */
  SSMC_ERROR_BAD_ARTIFACT = 3,     /* malformed artifact or manifest */
  SSMC_ERROR_UNSUPPORTED = 4,      /* valid, but not runnable here (target, dtype, version) */
  SSMC_ERROR_BAD_INPUT = 5,        /* token id outside [0, vocab_size) */
  SSMC_ERROR_RUNTIME = 6           /* execution failure (out of memory, ...) */
} ssmc_status;

#define SSMC_MAX_RANK 8

typedef struct ssmc_model ssmc_model;
typedef struct ssmc_session ssmc_session;

typedef struct ssmc_load_options {
  int verify_checksums; /* nonzero (default): verify payload and external-weight checksums */
  int num_threads;      /* > 0: OpenBLAS threads (process-wide); 0: library default */
} ssmc_load_options;

typedef struct ssmc_model_info_t {
  int64_t vocab_size;        /* real vocabulary: valid token ids are [0, vocab_size) */
  int64_t padded_vocab_size; /* the logits' last dimension */
  int64_t n_layer;
  const char *arch;          /* e.g. "mamba"; owned by the model */
  const char *producer;      /* manifest "producer", "" if absent; owned by the model */
  int32_t n_state;           /* number of named state tensors */
  int32_t has_prefill;
  int32_t has_decode;
} ssmc_model_info_t;

/* Fills *options with the defaults (verify checksums, default threads). */
SSMC_API void ssmc_load_options_init(ssmc_load_options *options);

/* options may be NULL (defaults). On failure *model is set to NULL. */
SSMC_API ssmc_status ssmc_model_load(const char *path,
                                     const ssmc_load_options *options,
                                     ssmc_model **model);
/* Sessions keep the model alive; freeing it first is allowed. NULL is a no-op. */
SSMC_API void ssmc_model_free(ssmc_model *model);
SSMC_API ssmc_status ssmc_model_info(const ssmc_model *model,
                                     ssmc_model_info_t *info);
/* Name of state tensor `index` in [0, n_state); owned by the model. */
SSMC_API ssmc_status ssmc_model_state_name(const ssmc_model *model,
                                           int32_t index, const char **name);

/* A session for `batch` sequences; its state starts zeroed. */
SSMC_API ssmc_status ssmc_session_create(ssmc_model *model, int64_t batch,
                                         ssmc_session **session);
SSMC_API void ssmc_session_free(ssmc_session *session);

/* tokens: batch * length ids, row-major [batch, length]. Every id is checked
 * against [0, vocab_size) before any step runs. */
SSMC_API ssmc_status ssmc_prefill(ssmc_session *session, const int32_t *tokens,
                                  int64_t length);
/* tokens: batch ids, one per sequence; updates the state in place. */
SSMC_API ssmc_status ssmc_decode(ssmc_session *session, const int32_t *tokens);

/* Logits of the last prefill ([batch, L, padded_vocab]) or decode
 * ([batch, padded_vocab]); dims has room for SSMC_MAX_RANK entries. The
 * pointer stays valid until the next prefill/decode or ssmc_session_free. */
SSMC_API ssmc_status ssmc_logits(const ssmc_session *session,
                                 const float **data, int64_t *dims,
                                 int32_t *rank);

/* Copy a named state tensor out of / into the session; nbytes must equal
 * the tensor's size (ssmc_state_nbytes). */
SSMC_API ssmc_status ssmc_state_nbytes(const ssmc_session *session,
                                       const char *name, size_t *nbytes);
SSMC_API ssmc_status ssmc_state_read(const ssmc_session *session,
                                     const char *name, void *dst,
                                     size_t nbytes);
SSMC_API ssmc_status ssmc_state_write(ssmc_session *session, const char *name,
                                      const void *src, size_t nbytes);
/* Zeroes every state tensor (start new sequences). */
SSMC_API ssmc_status ssmc_session_reset(ssmc_session *session);

/* The message of the last failure on this thread ("" if none). Valid until
 * the next failing call on this thread. */
SSMC_API const char *ssmc_last_error(void);
/* A short name for a status ("bad artifact", ...). */
SSMC_API const char *ssmc_status_string(ssmc_status status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SSMC_RUNTIME_H */
