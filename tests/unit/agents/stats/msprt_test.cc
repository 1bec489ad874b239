#include "agents/stats/msprt.h"

#include <random>

#include <catch2/catch.hpp>

using kaizen::stats::MixtureSprt;
using Arm = MixtureSprt::Arm;
using Decision = MixtureSprt::Decision;

TEST_CASE("msprt decides nothing before the minimum samples per arm") {
  MixtureSprt::Options o;
  o.min_samples = 30;
  MixtureSprt t(o);
  for (int i = 0; i < 29; ++i) {
    t.Update(Arm::kCandidate, true);
    t.Update(Arm::kIncumbent, false);
  }
  CHECK(t.p_value() == 1.0);
  CHECK(t.decision() == Decision::kNone);
  CHECK(t.samples(Arm::kCandidate) == 29);
  CHECK(t.rate(Arm::kCandidate) == 1.0);
  CHECK(t.rate(Arm::kIncumbent) == 0.0);
}

TEST_CASE("msprt A/A with continuous peeking rejects at most alpha of the time") {
  MixtureSprt::Options o;
  o.alpha = 0.05;
  std::mt19937_64 rng(2024);
  std::bernoulli_distribution success(0.8), to_candidate(0.1);
  const int kRuns = 1000;
  int rejections = 0;
  for (int run = 0; run < kRuns; ++run) {
    MixtureSprt t(o);
    for (int i = 0; i < 4000 && t.decision() == Decision::kNone; ++i) {
      t.Update(to_candidate(rng) ? Arm::kCandidate : Arm::kIncumbent, success(rng));
    }
    rejections += t.decision() != Decision::kNone ? 1 : 0;
  }
  double rate = static_cast<double>(rejections) / kRuns;
  INFO("false rejections " << rejections << "/" << kRuns);
  CHECK(rate <= 0.05);
}

TEST_CASE("msprt detects 0.85 vs 0.55 quickly, both ways") {
  MixtureSprt::Options o;
  std::mt19937_64 rng(5);
  std::bernoulli_distribution good(0.85), bad(0.55), to_candidate(0.5);
  for (bool candidate_good : {true, false}) {
    MixtureSprt t(o);
    int n = 0;
    for (; n < 2000 && t.decision() == Decision::kNone; ++n) {
      bool c = to_candidate(rng);
      bool s = (c == candidate_good) ? good(rng) : bad(rng);
      t.Update(c ? Arm::kCandidate : Arm::kIncumbent, s);
    }
    INFO("samples to decide " << n);
    CHECK(n < 300);
    CHECK(t.decision() == (candidate_good ? Decision::kCandidateBetter : Decision::kCandidateWorse));
    CHECK(t.p_value() <= 0.05);
  }
}
