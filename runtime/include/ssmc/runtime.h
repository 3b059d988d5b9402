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

typedef enum ssmc_device {
  SSMC_DEVICE_AUTO = 0, /* cuda when the artifact has a cuda image and a GPU is usable, else cpu */
  SSMC_DEVICE_CPU = 1,
  SSMC_DEVICE_CUDA = 2
} ssmc_device;

typedef struct ssmc_load_options {
  int verify_checksums; /* nonzero (default): verify payload and external-weight checksums */
  int num_threads;      /* > 0: OpenBLAS threads (process-wide); 0: library default */
  ssmc_device device;   /* default SSMC_DEVICE_AUTO */
  int cuda_device;      /* CUDA device ordinal (default 0) */
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
  const char *device;        /* where the model runs: "cpu" or "cuda"; owned by the model */
  int64_t max_batch;         /* most sequences per session (ssmc-compile --max-batch); 0: any */
  int32_t prefill_continues; /* nonzero: ssmc_prefill_continue works (artifacts from before
                                it existed only prefill from an empty state) */
  const char *gemm_math;     /* how `device`'s GEMMs multiply: "f32", "tf32" or "bf16"
                                (tensor cores, ssmc-compile --cuda-gemm-math); owned by
                                the model */
} ssmc_model_info_t;

/* Fills *options with the defaults (verify checksums, default threads,
   automatic device choice, CUDA device 0). */
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

/* What ssmc_prefill's logits cover. ALL (the default): every position,
 * [batch, L, padded_vocab]. LAST: each sequence's last position only,
 * [batch, padded_vocab], all that generation needs; the lm_head product then
 * runs on batch rows instead of batch * L (a large share of a prefill with a
 * big vocabulary). ssmc_prefill_sequence always works this way. */
#define SSMC_PREFILL_LOGITS_ALL 0
#define SSMC_PREFILL_LOGITS_LAST 1
SSMC_API ssmc_status ssmc_session_set_prefill_logits(ssmc_session *session, int32_t mode);

/* tokens: batch * length ids, row-major [batch, length]. Every id is checked
 * against [0, vocab_size) before any step runs. Every sequence starts from
 * an empty state. */
SSMC_API ssmc_status ssmc_prefill(ssmc_session *session, const int32_t *tokens,
                                  int64_t length);
/* As ssmc_prefill, but every sequence continues from its state (after a
 * prefill, decode steps or a loaded snapshot): the logits and the new state
 * are those of one prefill over the earlier tokens followed by these. A chat
 * turn or a long prompt in pieces thus runs as one prefill, not as token-by-
 * token decode steps. SSMC_ERROR_UNSUPPORTED when the artifact predates it
 * (ssmc_model_info_t.prefill_continues). */
SSMC_API ssmc_status ssmc_prefill_continue(ssmc_session *session, const int32_t *tokens,
                                           int64_t length);
/* Prefills tokens[length] (length >= 1) as sequence `sequence` alone: its
 * state is replaced; every other sequence keeps its state and its next-token
 * logits. ssmc_logits then gives [batch, padded_vocab], each sequence's
 * next-token logits, and ssmc_decode / ssmc_generate (length 0) go on from
 * there. Prompts of different lengths prefill this way with no padding, and
 * a new sequence can start in the slot of a finished one while the others
 * keep decoding (continuous batching). The work runs in a batch-1 session
 * the session keeps for it. */
SSMC_API ssmc_status ssmc_prefill_sequence(ssmc_session *session, int64_t sequence,
                                           const int32_t *tokens, int64_t length);
/* As ssmc_prefill_sequence, but the sequence continues from its state
 * (ssmc_prefill_continue for one sequence of the batch). */
SSMC_API ssmc_status ssmc_prefill_sequence_continue(ssmc_session *session, int64_t sequence,
                                                    const int32_t *tokens, int64_t length);
/* Prefills sequence b from lengths[b] tokens (each >= 1); tokens holds the
 * prompts one after another. Every length and id is checked before any work.
 * The result is as ssmc_prefill_sequence for each b; the work is one batched
 * prefill of the shortest length's worth of every prompt, then each longer
 * prompt's rest continuing alone (no padding anywhere). */
SSMC_API ssmc_status ssmc_prefill_varlen(ssmc_session *session, const int32_t *tokens,
                                         const int64_t *lengths);
/* tokens: batch ids, one per sequence; updates the state in place. */
SSMC_API ssmc_status ssmc_decode(ssmc_session *session, const int32_t *tokens);
/* As ssmc_decode for sequences [0, rows) only (1 <= rows <= batch; tokens:
 * rows ids); the others keep their state. ssmc_logits is then [rows,
 * padded_vocab] and ssmc_sample samples those rows (the others' entries of
 * out_ids are left alone): a batch whose live sequences sit in its first
 * slots decodes no more rows than that (continuous batching as sequences
 * finish). Each row count has its own plan, and on cuda its own graph. */
SSMC_API ssmc_status ssmc_decode_rows(ssmc_session *session, int64_t rows,
                                      const int32_t *tokens);

/* Waits until the session's queued work has finished (on cuda, prefill and
 * decode return once the work is queued; ssmc_logits waits by itself). */
SSMC_API ssmc_status ssmc_session_synchronize(ssmc_session *session);

/* One step of a profiled run. */
typedef struct ssmc_step_time {
  const char *name; /* kernel symbol, "gemm" (the GEMM library), "gemv" (a
                       skinny-GEMM kernel, few rows) or "gemv_fused" (one that
                       also did the steps around it: their ms and bytes are 0,
                       its own cover them); owned by the model */
  const char *op;   /* the op a kernel computes ("ssm.rms_norm"), "" if unknown */
  int32_t is_gemm;
  int64_t m, n, k;  /* GEMM sizes (0 for kernels) */
  int64_t bytes;    /* bytes of the step's operand views, each counted once */
  double ms;        /* device time of the step alone */
} ssmc_step_time;

/* Runs one prefill (length >= 1, tokens [batch, length]) or one decode step
 * (length 0, tokens [batch]) a step at a time, timing each alone on the
 * device (CUDA events; the host clock on cpu). It computes what prefill /
 * decode compute (logits, state). Fills up to `capacity` entries of `steps`
 * and sets *count to the number of steps. */
SSMC_API ssmc_status ssmc_profile(ssmc_session *session, const int32_t *tokens,
                                  int64_t length, ssmc_step_time *steps,
                                  int32_t capacity, int32_t *count);

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

/* ---- Sampling and generation (docs/runtime.md, "Sampling") -------------
 * Per row of logits, only ids in [0, vocab_size) are considered (padded rows
 * never win). Order: NaN -> -inf; repetition penalty on ids seen in the
 * sequence (prompt + generated: positive logits / penalty, others * penalty);
 * temperature <= 0 -> argmax (ties: lowest id, no random draw); otherwise
 * softmax(logits / temperature) restricted by top_k, then top_p (smallest
 * prefix, by descending probability, with mass >= top_p), then min_p
 * (p >= min_p * p_max), renormalized after each filter, and one draw.
 * Randomness: xoshiro256** seeded by splitmix64 (fully specified, the same
 * on every platform), one stream per sequence: sequence b uses seeds[b] if
 * given, else seed + b; each non-greedy draw consumes one 64-bit output.
 * So a batch samples exactly like each sequence alone given the same seed. */
typedef struct ssmc_sampler_params {
  double temperature;         /* <= 0: greedy. default 1.0 */
  int32_t top_k;              /* keep the k most likely ids; 0 (default): off */
  double top_p;               /* nucleus mass in (0, 1]; 1 (default): off */
  double min_p;               /* in [0, 1]; 0 (default): off */
  double repetition_penalty;  /* > 0; 1 (default): off */
  uint64_t seed;              /* default 0 */
  const uint64_t *seeds;      /* optional [batch] per-sequence seeds (copied) */
  const int32_t *stop_tokens; /* ssmc_generate: a sequence ends after emitting one */
  int32_t n_stop_tokens;
  int64_t max_new_tokens;     /* ssmc_generate: default 16 */
} ssmc_sampler_params;

typedef struct ssmc_sampler ssmc_sampler;

/* Fills *params with the defaults above. */
SSMC_API void ssmc_sampler_params_init(ssmc_sampler_params *params);
/* A sampler for `batch` sequences: its RNG streams and seen-token sets. */
SSMC_API ssmc_status ssmc_sampler_create(const ssmc_sampler_params *params,
                                         int64_t batch, ssmc_sampler **sampler);
SSMC_API void ssmc_sampler_free(ssmc_sampler *sampler);
/* Restart the RNG streams from the seeds and forget the seen tokens. */
SSMC_API ssmc_status ssmc_sampler_reset(ssmc_sampler *sampler);
/* A new sequence in slot `sequence` (continuous batching): its RNG stream
 * restarts from `seed` and its seen tokens become tokens[length] (its
 * prompt); the other sequences are untouched. */
SSMC_API ssmc_status ssmc_sampler_restart_sequence(ssmc_sampler *sampler, int64_t sequence,
                                                   uint64_t seed, const int32_t *tokens,
                                                   int64_t length);
/* Sequence `sequence` samples with params' temperature, top_k, top_p, min_p
 * and repetition_penalty from now on (checked as by ssmc_sampler_create; the
 * other fields are ignored); its RNG stream and seen tokens are kept, and
 * ssmc_sampler_reset and _restart_sequence keep its settings. Each request
 * of a batch can so have its own, on the device sampler too. */
SSMC_API ssmc_status ssmc_sampler_set_sequence_params(ssmc_sampler *sampler, int64_t sequence,
                                                      const ssmc_sampler_params *params);
/* Slot `to` takes a copy of slot `from`'s sampling: its RNG stream (as it
 * stands: both then draw the same), seen tokens, settings and seed; with
 * ssmc_copy_sequence, a sequence moves to another slot and samples there
 * exactly as it would have in its own. */
SSMC_API ssmc_status ssmc_sampler_copy_sequence(ssmc_sampler *sampler, int64_t from,
                                                int64_t to);
/* Mark tokens [batch, length] as seen (e.g. the prompt), for the penalty. */
SSMC_API ssmc_status ssmc_sampler_observe(ssmc_sampler *sampler,
                                          const int32_t *tokens, int64_t length);
/* One id per sequence from the last position of the session's current logits
 * (after ssmc_prefill/ssmc_decode); the ids are marked as seen. After
 * ssmc_decode_rows, only its rows sample. */
SSMC_API ssmc_status ssmc_sample(ssmc_sampler *sampler,
                                 const ssmc_session *session, int32_t *out_ids);
/* The same from caller-owned logits: row b starts at logits + b * row_stride;
 * only its first vocab_size entries are read. */
SSMC_API ssmc_status ssmc_sample_logits(ssmc_sampler *sampler, const float *logits,
                                        int64_t row_stride, int64_t vocab_size,
                                        int32_t *out_ids);

/* Called after each step with tokens[batch] (-1: that sequence had already
 * finished). Return nonzero to stop generation. */
typedef int (*ssmc_step_callback)(void *user, int64_t step, const int32_t *tokens,
                                  int64_t batch);

/* Prefill `prompt` [batch, length], then sample and decode until every
 * sequence has emitted a stop token (kept in the output) or max_new_tokens.
 * length 0 (prompt may be NULL) continues from the session's current logits.
 * out_tokens [batch * max_new_tokens] (unused entries -1), out_counts [batch]
 * and callback may be NULL. The last emitted token is not decoded: to go on,
 * ssmc_decode it. Finished sequences keep decoding their last token until the
 * batch ends, so their state is then past the stop token. */
SSMC_API ssmc_status ssmc_generate(ssmc_session *session, const int32_t *prompt,
                                   int64_t length, const ssmc_sampler_params *params,
                                   int32_t *out_tokens, int64_t *out_counts,
                                   ssmc_step_callback callback, void *user);

/* ---- State snapshots: one sequence's recurrent state ---------------------
 * A snapshot is a header plus the b-th slice of every state tensor: O(state),
 * independent of sequence length, valid in any session of the same model
 * (any batch size). Sizes, indices and the model's state layout are checked. */
SSMC_API ssmc_status ssmc_snapshot_size(const ssmc_session *session, size_t *nbytes);
SSMC_API ssmc_status ssmc_snapshot_save(const ssmc_session *session, int64_t sequence,
                                        void *dst, size_t nbytes);
SSMC_API ssmc_status ssmc_snapshot_load(ssmc_session *session, int64_t sequence,
                                        const void *src, size_t nbytes);
/* Load one snapshot into sequences[0..count) (all indices checked first). */
SSMC_API ssmc_status ssmc_snapshot_fork(ssmc_session *session, const void *src,
                                        size_t nbytes, const int64_t *sequences,
                                        int64_t count);

/* Sequence `to`'s state (every state tensor's slice) becomes a copy of
 * sequence `from`'s, without leaving the device: a fork in place, or the
 * move of a sequence to another slot (continuous batching keeps its live
 * sequences in the first rows so). Logits are not copied: sample before,
 * and decode or prefill `to` before sampling it again. from == to is a
 * no-op. ssmc_sampler_copy_sequence moves the sampler's row alike. */
SSMC_API ssmc_status ssmc_copy_sequence(ssmc_session *session, int64_t from, int64_t to);

/* ---- Tokenizer (docs/runtime.md, "Tokenizers") ---------------------------
 * The artifact may carry a tokenizer (Hugging Face byte-level BPE from the
 * checkpoint's tokenizer.json, or the 256-byte tokenizer). Text is bytes,
 * normally UTF-8; detokenized text is byte-exact, so it may end inside a
 * UTF-8 character: stream with ssmc_detokenizer_* to get whole characters.
 * Output buffers: *count / *length always receive the size needed; if it
 * exceeds capacity nothing is written and SSMC_ERROR_INVALID_ARGUMENT is
 * returned (pass NULL and 0 to ask for the size). No tokenizer:
 * SSMC_ERROR_UNSUPPORTED. */
typedef struct ssmc_detokenizer ssmc_detokenizer;

/* 1 if the model carries a tokenizer, 0 if not (or model is NULL). */
SSMC_API int ssmc_model_has_tokenizer(const ssmc_model *model);
/* text: `length` bytes (need not be NUL-terminated; NULL if length is 0).
 * Ids are plain text tokens: no BOS/EOS is added. */
SSMC_API ssmc_status ssmc_tokenize(const ssmc_model *model, const char *text,
                                   size_t length, int32_t *ids, size_t capacity,
                                   size_t *count);
/* The bytes of ids[0..n); a NUL is appended when capacity > *length. An id
 * the tokenizer does not know: SSMC_ERROR_BAD_INPUT. */
SSMC_API ssmc_status ssmc_detokenize(const ssmc_model *model, const int32_t *ids,
                                     size_t n, char *text, size_t capacity,
                                     size_t *length);
/* Streaming: push ids as they are generated; each push returns the text they
 * complete, holding back the bytes of an unfinished UTF-8 character (at most
 * 3). finish returns what is held and resets. A push or finish that does not
 * fit changes nothing. One detokenizer per sequence; it keeps the model alive. */
SSMC_API ssmc_status ssmc_detokenizer_create(ssmc_model *model,
                                             ssmc_detokenizer **detokenizer);
SSMC_API void ssmc_detokenizer_free(ssmc_detokenizer *detokenizer);
SSMC_API ssmc_status ssmc_detokenizer_push(ssmc_detokenizer *detokenizer, int32_t id,
                                           char *text, size_t capacity, size_t *length);
SSMC_API ssmc_status ssmc_detokenizer_finish(ssmc_detokenizer *detokenizer,
                                             char *text, size_t capacity,
                                             size_t *length);

/* The message of the last failure on this thread ("" if none). Valid until
 * the next failing call on this thread. */
SSMC_API const char *ssmc_last_error(void);
/* A short name for a status ("bad artifact", ...). */
SSMC_API const char *ssmc_status_string(ssmc_status status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SSMC_RUNTIME_H */
