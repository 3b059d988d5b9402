// The host half of device sampling (Sampler::sampleCandidates): from a
// complete top set of candidates and a row summary it must pick exactly the
// tokens that Sampler::sample picks from the whole rows, with the same RNG
// draws, fetching a row only when the candidates cannot decide. The
// candidates here come from a separate reference extractor that follows the
// kernel's contract (passes/gpu/SamplerKernel.h), with small buffers so that
// every fallback is taken.
#include "sampling.h"

#include "ssmc/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

struct Extracted {
  std::vector<int32_t> ids;
  std::vector<float> logits;
  ssmc::CandidateRow row;
};

// The row as sampled: NaN -> -inf, then the penalty in f32 on seen ids.
std::vector<float> asSampled(const float *row, int64_t vocab, const std::set<int32_t> &seen,
                             float penalty) {
  std::vector<float> l(row, row + vocab);
  for (float &x : l)
    if (std::isnan(x))
      x = -kInf;
  if (penalty != 1.0f)
    for (int32_t t : seen)
      l[t] = l[t] > 0 ? l[t] / penalty : l[t] * penalty;
  return l;
}

// A complete top set of at most `room` live logits, shuffled, and the summary.
Extracted extract(const std::vector<float> &l, int64_t room, double temperature,
                  std::mt19937 &gen) {
  Extracted e;
  std::vector<int32_t> live;
  for (int32_t i = 0; i < int32_t(l.size()); ++i)
    if (l[i] > -kInf)
      live.push_back(i);
  std::stable_sort(live.begin(), live.end(), [&](int32_t a, int32_t b) { return l[a] > l[b]; });
  size_t count = std::min<size_t>(size_t(room), live.size());
  while (count > 0 && count < live.size() && !(l[live[count - 1]] > l[live[count]]))
    --count; // never split equal logits
  e.ids.assign(live.begin(), live.begin() + long(count));
  std::shuffle(e.ids.begin(), e.ids.end(), gen);
  for (int32_t id : e.ids)
    e.logits.push_back(l[id]);
  ssmc::CandidateRow &r = e.row;
  r.ids = e.ids.data();
  r.logits = e.logits.data();
  r.count = int64_t(count);
  r.live = int64_t(live.size());
  r.argmax = live.empty() ? -1 : live.front(); // stable sort: lowest id first
  r.max = live.empty() ? -kInf : l[live.front()];
  r.excludedMax = count < live.size() ? l[live[count]] : -kInf;
  const double unit = temperature > 0 ? temperature : 1.0;
  for (int32_t id : live)
    r.mass += std::exp((double(l[id]) - r.max) / unit);
  return e;
}

struct Case {
  const char *name;
  double temperature;
  int64_t topK;
  double topP, minP, penalty;
  int64_t room;
  float scale; // logits ~ N(0, scale)
};

// Runs `steps` of batch-3 sampling both ways, with each sequence's
// settings from `own` when given, every other step on the first 2 rows only
// with `firstRows`; returns how many rows were fetched.
int compare(const Case &c, int steps, const std::vector<ssmc::SamplerParams> *own = nullptr,
            bool firstRows = false) {
  const int64_t batch = 3, vocab = 300;
  ssmc::SamplerParams p;
  p.temperature = c.temperature;
  p.topK = c.topK;
  p.topP = c.topP;
  p.minP = c.minP;
  p.repetitionPenalty = c.penalty;
  p.seed = 11;
  ssmc::Sampler whole(batch, p), fromCandidates(batch, p);
  for (size_t b = 0; own && b < own->size(); ++b) {
    whole.setSequenceParams(int64_t(b), (*own)[b]);
    fromCandidates.setSequenceParams(int64_t(b), (*own)[b]);
  }
  // Each row's temperature and penalty, as the device reads them.
  std::vector<double> temperature(batch, c.temperature), penalty(batch, c.penalty);
  for (size_t b = 0; own && b < own->size(); ++b)
    temperature[b] = (*own)[b].temperature, penalty[b] = (*own)[b].repetitionPenalty;
  std::vector<std::set<int32_t>> seen(batch);
  std::vector<int32_t> prompt(batch * 4);
  for (size_t i = 0; i < prompt.size(); ++i)
    prompt[i] = int32_t((i * 37) % vocab);
  whole.observe(prompt.data(), 4);
  fromCandidates.observe(prompt.data(), 4);
  for (int64_t b = 0; b < batch; ++b)
    seen[b].insert(prompt.begin() + b * 4, prompt.begin() + b * 4 + 4);

  std::mt19937 gen(5);
  std::normal_distribution<float> dist(0.0f, c.scale);
  int fetched = 0;
  for (int step = 0; step < steps; ++step) {
    std::vector<float> rows(batch * vocab);
    for (float &x : rows)
      x = dist(gen);
    rows[7] = std::nanf(""), rows[vocab + 9] = -kInf; // never sampled
    std::vector<Extracted> ex;
    std::vector<ssmc::CandidateRow> cand;
    for (int64_t b = 0; b < batch; ++b)
      ex.push_back(extract(asSampled(&rows[b * vocab], vocab, seen[b], float(penalty[b])),
                           c.room, temperature[b], gen));
    for (const Extracted &e : ex)
      cand.push_back(e.row);
    const int64_t count = firstRows && step % 2 ? 2 : batch;
    std::vector<int32_t> a(batch, -5), b(batch, -5);
    whole.sample(rows.data(), vocab, vocab, a.data(), count);
    fromCandidates.sampleCandidates(
        cand.data(), vocab,
        [&](int64_t r, std::vector<float> &row) {
          ++fetched;
          row.assign(&rows[r * vocab], &rows[r * vocab] + vocab);
        },
        b.data(), count);
    EXPECT_EQ(a, b) << c.name << ", step " << step;
    EXPECT_NE(a[0], 7) << c.name;
    EXPECT_NE(a[1], 9) << c.name;
    for (int64_t r = 0; r < count; ++r)
      seen[r].insert(a[r]);
    for (int64_t r = count; r < batch; ++r)
      EXPECT_EQ(b[r], -5) << c.name << ", step " << step << ": row " << r << " sampled";
  }
  return fetched;
}

TEST(SamplerCandidates, SameTokensAsTheWholeRow) {
  const Case cases[] = {
      {"greedy", 0.0, 0, 1.0, 0.0, 1.0, 4, 2.0f},
      {"greedy + penalty", 0.0, 0, 1.0, 0.0, 1.5, 4, 2.0f},
      {"temperature, peaked", 0.7, 0, 1.0, 0.0, 1.0, 64, 4.0f},
      {"temperature, flat", 1.0, 0, 1.0, 0.0, 1.0, 16, 0.5f},
      {"top-k inside", 1.0, 5, 1.0, 0.0, 1.0, 16, 1.0f},
      {"top-k past the buffer", 1.0, 40, 1.0, 0.0, 1.0, 16, 1.0f},
      {"top-p", 0.9, 0, 0.8, 0.0, 1.0, 32, 3.0f},
      {"top-p, flat", 1.0, 0, 0.95, 0.0, 1.0, 8, 0.3f},
      {"min-p", 1.0, 0, 1.0, 0.05, 1.0, 32, 3.0f},
      {"min-p, flat", 1.0, 0, 1.0, 0.5, 1.0, 4, 0.3f},
      {"everything", 0.8, 50, 0.9, 0.02, 1.3, 24, 2.0f},
      {"penalty below one", 1.2, 0, 0.7, 0.0, 0.6, 16, 2.0f},
  };
  for (const Case &c : cases)
    compare(c, 40);
}

// After a decode of the first rows only those sample, each as in a whole
// batch; the last row's stream and seen set wait for its next step.
TEST(SamplerCandidates, TheFirstRowsAlone) {
  compare({"temperature, top-p, penalty", 0.9, 0, 0.9, 0.0, 1.3, 24, 2.0f}, 30, nullptr, true);
  compare({"greedy + penalty", 0.0, 0, 1.0, 0.0, 1.5, 4, 2.0f}, 10, nullptr, true);
}

TEST(SamplerCandidates, FetchesOnlyWhenTheCandidatesCannotDecide) {
  // Greedy and a top-k inside the buffer never need the row.
  EXPECT_EQ(compare({"greedy", 0.0, 0, 1.0, 0.0, 1.3, 2, 1.0f}, 30), 0);
  EXPECT_EQ(compare({"top-k", 1.0, 8, 0.9, 0.1, 1.3, 16, 1.0f}, 30), 0);
  // A peaked row: top-p ends well inside 64 candidates.
  EXPECT_EQ(compare({"top-p", 0.5, 0, 0.9, 0.0, 1.0, 64, 6.0f}, 30), 0);
  // Plain sampling of a flat row mostly lands past 4 candidates.
  EXPECT_GT(compare({"flat", 1.0, 0, 1.0, 0.0, 1.0, 4, 0.3f}, 30), 0);
}

TEST(SamplerCandidates, EdgeRows) {
  ssmc::SamplerParams p;
  p.temperature = 1.0;
  ssmc::Sampler s(1, p), ref(1, p);
  std::mt19937 gen(1);
  auto noFetch = [](int64_t, std::vector<float> &) { FAIL() << "fetched"; };
  // Nothing live: the same error as the whole-row sampler.
  std::vector<float> dead = {std::nanf(""), -kInf, -kInf};
  Extracted e = extract(dead, 4, 1.0, gen);
  int32_t out = 0;
  EXPECT_THROW(s.sampleCandidates(&e.row, 3, noFetch, &out), ssmc::RuntimeError);
  EXPECT_THROW(ref.sample(dead.data(), 3, 3, &out), ssmc::RuntimeError);
  // +inf logits share the mass; an incomplete row with them: fetch.
  std::vector<float> inf = {1.0f, kInf, 0.0f, kInf, kInf};
  for (int64_t room : {2, 5}) {
    ssmc::Sampler a(1, p), b(1, p);
    Extracted x = extract(inf, room, 1.0, gen);
    int fetched = 0;
    for (int i = 0; i < 10; ++i) {
      int32_t ta = -1, tb = -1;
      a.sample(inf.data(), 5, 5, &ta);
      b.sampleCandidates(&x.row, 5,
                         [&](int64_t, std::vector<float> &row) {
                           ++fetched;
                           row = inf;
                         },
                         &tb);
      EXPECT_EQ(ta, tb);
      EXPECT_TRUE(ta == 1 || ta == 3 || ta == 4);
    }
    EXPECT_EQ(fetched > 0, room < 5) << room; // complete only with all 5
  }
  // A candidate id outside the vocabulary is the device's fault, said so.
  int32_t badId = 9;
  float badLogit = 1.0f;
  ssmc::CandidateRow bad;
  bad.ids = &badId, bad.logits = &badLogit, bad.count = 1, bad.live = 1, bad.argmax = 9;
  EXPECT_THROW(s.sampleCandidates(&bad, 3, noFetch, &out), ssmc::RuntimeError);
}

} // namespace

// Sequences with their own top-k, top-p and min-p, then their own
// temperatures and penalties too, pick from candidates what they pick from
// the whole rows.
TEST(SamplerCandidates, PerSequenceFiltersFromCandidates) {
  const Case c{"per-sequence filters", 0.9, 0, 1.0, 0.0, 1.2, 32, 2.5f};
  ssmc::SamplerParams p;
  p.temperature = c.temperature;
  p.repetitionPenalty = c.penalty;
  std::vector<ssmc::SamplerParams> own(3, p);
  own[0].topK = 6;
  own[1].topP = 0.7;
  own[2].minP = 0.1;
  compare(c, 40, &own);

  // Temperatures and penalties of their own, greedy among them: the device
  // reads each row's.
  own[0].temperature = 0.0, own[0].repetitionPenalty = 1.4;
  own[1].temperature = 1.3, own[1].repetitionPenalty = 1.0;
  own[2].temperature = 0.5, own[2].repetitionPenalty = 0.8;
  compare(c, 40, &own);
}
