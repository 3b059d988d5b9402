#include "arena.h"

#include <algorithm>
#include <numeric>

namespace ssmc {

namespace {

int64_t alignUp(int64_t v) { return (v + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

bool livesOverlap(const ArenaBuffer &a, const ArenaBuffer &b) {
  return a.first <= b.last && b.first <= a.last;
}

} // namespace

ArenaPlan planArena(const std::vector<ArenaBuffer> &buffers) {
  ArenaPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  for (size_t i : order) {
    const ArenaBuffer &buf = buffers[i];
    if (buf.bytes <= 0)
      continue;
    // The placed buffers alive with this one, by offset: take the first gap
    // that fits.
    std::vector<size_t> alive;
    for (size_t j : placed)
      if (livesOverlap(buf, buffers[j]))
        alive.push_back(j);
    std::sort(alive.begin(), alive.end(),
              [&](size_t a, size_t b) { return plan.offsets[a] < plan.offsets[b]; });
    int64_t at = 0;
    for (size_t j : alive) {
      if (at + buf.bytes <= plan.offsets[j])
        break;
      at = std::max(at, alignUp(plan.offsets[j] + buffers[j].bytes));
    }
    plan.offsets[i] = at;
    plan.bytes = std::max(plan.bytes, at + buf.bytes);
    placed.push_back(i);
  }
  return plan;
}

std::vector<ArenaBuffer> tempLives(const EntryPoint &ep, const BoundEntry &bound) {
  std::vector<ArenaBuffer> lives(ep.buffers.size());
  std::vector<bool> seen(ep.buffers.size(), false);
  auto touch = [&](const BoundView &v, int step) {
    if (v.buffer < 0 || ep.buffers[static_cast<size_t>(v.buffer)].kind != BufferKind::Temp)
      return;
    const size_t b = static_cast<size_t>(v.buffer);
    if (!seen[b]) {
      seen[b] = true;
      lives[b].first = step;
    }
    lives[b].last = std::max(lives[b].last, step);
  };
  // The steps a fused kernel may stand for run as one: whatever any of them
  // touches lives through the whole range, whichever way it runs.
  std::vector<std::pair<int, int>> span(bound.steps.size());
  for (size_t s = 0; s < bound.steps.size(); ++s)
    span[s] = {static_cast<int>(s), static_cast<int>(s)};
  for (const BoundStep &step : bound.steps)
    if (step.desc && step.desc->fused)
      for (int s = step.desc->fused->first; s <= step.desc->fused->last; ++s)
        span[static_cast<size_t>(s)] = {step.desc->fused->first, step.desc->fused->last};
  for (size_t s = 0; s < bound.steps.size(); ++s) {
    const BoundStep &step = bound.steps[s];
    std::vector<const BoundView *> views;
    for (const BoundView &v : step.args)
      views.push_back(&v);
    for (const BoundView &v : step.fusedArgs)
      views.push_back(&v);
    if (step.desc && step.desc->op == StepDesc::Op::Gemm) {
      views.insert(views.end(), {&step.a, &step.b, &step.c});
      if (step.hasBias)
        views.push_back(&step.bias);
    }
    for (const BoundView *v : views) {
      touch(*v, span[s].first);
      touch(*v, span[s].second);
    }
  }
  for (size_t b = 0; b < lives.size(); ++b)
    if (seen[b])
      lives[b].bytes = bound.bufferBytes[b];
  return lives;
}

} // namespace ssmc
