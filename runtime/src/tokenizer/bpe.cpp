// BPE with a priority queue over adjacent pairs (rank, then position) and a
// linked list of symbols. Merging the lowest pair first, leftmost on ties,
// gives the same result as GPT-2's "merge every occurrence of the best
// bigram" loop, without its quadratic cost on long words.
#include "tokenizer/bpe.h"

#include <queue>

namespace ssmc {

bool BpeMerger::addMerge(int32_t left, int32_t right, int32_t merged, int32_t rank) {
  return merges_.emplace(key(left, right), Merge{rank, merged}).second;
}

void BpeMerger::encode(std::string_view word, std::vector<int32_t> &out) const {
  const int n = static_cast<int>(word.size());
  struct Symbol {
    int32_t id;
    int prev, next; // -1: none
    bool alive;
  };
  std::vector<Symbol> sym(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    sym[i] = {byteToken_[static_cast<unsigned char>(word[i])], i - 1,
              i + 1 < n ? i + 1 : -1, true};

  struct Candidate {
    int32_t rank;
    int left, right;
    int32_t leftId, rightId; // to detect candidates made stale by a merge
    bool operator>(const Candidate &o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0)
      return;
    if (const Merge *m = find(sym[left].id, sym[right].id))
      queue.push({m->rank, left, right, sym[left].id, sym[right].id});
  };
  for (int i = 0; i + 1 < n; ++i)
    consider(i, i + 1);

  while (!queue.empty()) {
    Candidate c = queue.top();
    queue.pop();
    Symbol &l = sym[c.left], &r = sym[c.right];
    if (!l.alive || !r.alive || l.next != c.right || l.id != c.leftId ||
        r.id != c.rightId)
      continue;
    l.id = find(l.id, r.id)->merged;
    r.alive = false;
    l.next = r.next;
    if (r.next >= 0)
      sym[r.next].prev = c.left;
    consider(l.prev, c.left);
    consider(c.left, l.next);
  }
  for (int i = 0; i >= 0 && i < n; i = sym[i].next)
    out.push_back(sym[i].id);
}

} // namespace ssmc
