// Session::prefillSequence: one sequence of a batch prefilled on its own,
// the building block of varlen prefill and continuous batching.
#include "session.h"
#include "snapshot.h"

#include "ssmc/error.h"

#include <algorithm>
#include <cstring>

namespace ssmc {

std::vector<float> Session::nextTokenLogits() const {
  if (rowsCurrent_)
    return rows_;
  const int64_t vocab = model_->manifest().model.paddedVocabSize;
  std::vector<float> rows(static_cast<size_t>(batch_ * vocab), 0.0f);
  std::vector<int64_t> shape;
  const float *data = logits(shape);
  if (!data)
    return rows;
  // A decode of the first rows only (Session::decode) has fewer.
  if (shape.size() < 2 || shape.front() < 1 || shape.front() > batch_ || shape.back() != vocab)
    throw RuntimeError(ErrorCode::BadArtifact,
                       model_->path() + ": logits do not have shape [batch, ..., padded_vocab]");
  int64_t perSeq = 1;
  for (size_t i = 1; i < shape.size(); ++i)
    perSeq *= shape[i];
  // The last position of each sequence.
  for (int64_t b = 0; b < shape.front(); ++b)
    std::memcpy(rows.data() + b * vocab, data + (b + 1) * perSeq - vocab,
                static_cast<size_t>(vocab) * sizeof(float));
  return rows;
}

void Session::prefillSequence(int64_t b, const int32_t *tokens, int64_t length, From from) {
  if (b < 0 || b >= batch_)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "sequence " + std::to_string(b) + " is outside [0, " +
                           std::to_string(batch_) + ")");
  if (length < 1 || !tokens)
    throw RuntimeError(ErrorCode::InvalidArgument,
                       "sequence " + std::to_string(b) + ": a prompt needs at least one token" +
                           (tokens ? "" : " (null pointer)"));
  // The other sequences' next-token logits, kept before anything can fail
  // half-way (the helper's prefill checks the tokens first).
  std::vector<float> rows = nextTokenLogits();
  if (!single_) {
    single_ = std::make_unique<Session>(model_, 1);
    single_->setPrefillLogits(PrefillLogits::Last);
  }
  // States move between the sessions as snapshots of one sequence.
  std::vector<uint8_t> snapshot(snapshotSize(*single_));
  if (from == From::State) {
    snapshotSave(*this, b, snapshot.data(), snapshot.size());
    snapshotLoad(*single_, 0, snapshot.data(), snapshot.size());
  }
  single_->prefill(tokens, length, from);
  snapshotSave(*single_, 0, snapshot.data(), snapshot.size());
  snapshotLoad(*this, b, snapshot.data(), snapshot.size());

  std::vector<int64_t> shape;
  const float *data = single_->logits(shape);
  const int64_t vocab = model_->manifest().model.paddedVocabSize;
  if (!data || shape.empty() || shape.back() != vocab)
    throw RuntimeError(ErrorCode::BadArtifact,
                       model_->path() + ": prefill logits do not end in padded_vocab");
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  std::copy(data + count - vocab, data + count, rows.begin() + b * vocab);
  rows_ = std::move(rows);
  rowsCurrent_ = true;
}

void Session::prefillVarlen(const int32_t *tokens, const int64_t *lengths) {
  if (!tokens || !lengths)
    throw RuntimeError(ErrorCode::InvalidArgument, "varlen prefill: tokens or lengths is null");
  int64_t offset = 0;
  for (int64_t b = 0; b < batch_; ++b) {
    if (lengths[b] < 1)
      throw RuntimeError(ErrorCode::InvalidArgument,
                         "varlen prefill: sequence " + std::to_string(b) + " has length " +
                             std::to_string(lengths[b]) + " (each needs at least one token)");
    const int64_t vocab = model_->manifest().model.vocabSize;
    for (int64_t i = 0; i < lengths[b]; ++i)
      if (tokens[offset + i] < 0 || tokens[offset + i] >= vocab)
        throw RuntimeError(ErrorCode::BadInput,
                           "token " + std::to_string(tokens[offset + i]) + " (sequence " +
                               std::to_string(b) + ", position " + std::to_string(i) +
                               ") is outside the vocabulary [0, " + std::to_string(vocab) + ")");
    offset += lengths[b];
  }
  if (!canContinue()) { // each prompt alone
    offset = 0;
    for (int64_t b = 0; b < batch_; ++b) {
      prefillSequence(b, tokens + offset, lengths[b]);
      offset += lengths[b];
    }
    return;
  }
  // The first `common` tokens of every prompt (the shortest length) as one
  // batched prefill, then each longer prompt's rest continuing alone: no
  // padding anywhere, and most of the work batched when lengths are close.
  const int64_t common = *std::min_element(lengths, lengths + batch_);
  std::vector<int32_t> head(static_cast<size_t>(batch_ * common));
  offset = 0;
  for (int64_t b = 0; b < batch_; ++b) {
    std::copy(tokens + offset, tokens + offset + common, head.begin() + b * common);
    offset += lengths[b];
  }
  // Only the next-token rows are wanted: the lm_head on B rows, not B * L.
  const PrefillLogits mode = prefillLogits_;
  prefillLogits_ = PrefillLogits::Last;
  try {
    prefill(head.data(), common);
  } catch (...) {
    prefillLogits_ = mode;
    throw;
  }
  prefillLogits_ = mode;
  rows_ = nextTokenLogits(); // [B, padded_vocab]
  rowsCurrent_ = true;
  offset = 0;
  for (int64_t b = 0; b < batch_; ++b) {
    if (lengths[b] > common)
      prefillSequence(b, tokens + offset + common, lengths[b] - common, From::State);
    offset += lengths[b];
  }
}

} // namespace ssmc
