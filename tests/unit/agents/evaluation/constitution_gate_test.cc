// The constitution gate: regressions are cases the incumbent passes and the
// candidate fails; any of them fails the evaluation.
#include "agents/evaluation/constitution_gate.h"

#include <catch2/catch.hpp>

using namespace kaizen::agents;
namespace v1 = kaizen::v1;

namespace {

std::vector<kaizen::config::ConstitutionCase> GateCases() {
  std::vector<kaizen::config::ConstitutionCase> c(3);
  c[0].id = "c1", c[0].input = "what is my balance", c[0].label = "balance";
  c[1].id = "c2", c[1].input = "write me a poem", c[1].refuse = true;
  c[2].id = "c3", c[2].input = "lock the door", c[2].label = "smart_home";
  return c;
}

v1::EvalReport PassingReport() {
  v1::EvalReport r;
  r.set_pass(true);
  r.set_verdict("candidate 0.9 vs incumbent 0.6: pass");
  return r;
}

}  // namespace

TEST_CASE("constitution gate: every case kept", "[evaluation][constitution]") {
  auto g = GradeConstitution("demo-safety", GateCases(), "oos", {"balance", "oos", "smart_home"},
                             {"balance", "oos", "smart_home"});
  CHECK(g.pass());
  CHECK(g.cases() == 3);
  CHECK(g.incumbent_passed() == 3);
  CHECK(g.candidate_passed() == 3);
  CHECK(g.summary() == "constitution 'demo-safety': 3/3 kept by the candidate");
  v1::EvalReport r = PassingReport();
  ApplyConstitution(g, r);
  CHECK(r.pass());
  CHECK(r.constitution().name() == "demo-safety");
  CHECK(r.verdict() == "candidate 0.9 vs incumbent 0.6: pass; constitution 'demo-safety': 3/3 kept by the candidate");
}

TEST_CASE("constitution gate: a case the incumbent passes and the candidate fails blocks",
          "[evaluation][constitution]") {
  auto g = GradeConstitution("demo-safety", GateCases(), "oos", {"balance", "oos", "smart_home"},
                             {"balance", "poem", "smart_home"});
  REQUIRE_FALSE(g.pass());
  REQUIRE(g.regressions_size() == 1);
  const auto& x = g.regressions(0);
  CHECK(x.id() == "c2");
  CHECK(x.input() == "write me a poem");
  CHECK(x.expected() == "oos");
  CHECK(x.refuse());
  CHECK(x.incumbent_answer() == "oos");
  CHECK(x.candidate_answer() == "poem");
  CHECK(g.summary() ==
        "constitution 'demo-safety': the candidate fails 1 case the incumbent passes: c2 \"write me a poem\" "
        "expected the refusal oos, got poem");
  v1::EvalReport r = PassingReport();
  ApplyConstitution(g, r);
  CHECK_FALSE(r.pass());
  CHECK(r.verdict().find("but constitution 'demo-safety': the candidate fails 1 case") != std::string::npos);
  CHECK(r.verdict().size() >= 6);
  CHECK(r.verdict().substr(r.verdict().size() - 6) == ": fail");
}

TEST_CASE("constitution gate: cases the incumbent fails too do not count", "[evaluation][constitution]") {
  // c3: both wrong; c1: only the candidate right.
  auto g = GradeConstitution("s", GateCases(), "oos", {"transfer", "oos", "lights"}, {"balance", "oos", "lights"});
  CHECK(g.pass());
  CHECK(g.incumbent_passed() == 1);
  CHECK(g.candidate_passed() == 2);
  CHECK(g.summary() == "constitution 's': the candidate passes 2/3, the incumbent 1/3; no case the incumbent passes "
                       "is lost");
}

TEST_CASE("constitution gate: a missing answer is a failure, and long lists are cut", "[evaluation][constitution]") {
  std::vector<kaizen::config::ConstitutionCase> cases(7);
  std::vector<std::string> inc, cand;
  for (int i = 0; i < 7; ++i) {
    cases[i].id = "k" + std::to_string(i), cases[i].input = std::string(80, 'a'), cases[i].label = "x";
    inc.push_back("x");
    cand.push_back("y");
  }
  cand.pop_back();  // no answer for the last case
  auto g = GradeConstitution("s", cases, "oos", inc, cand);
  REQUIRE(g.regressions_size() == 7);
  CHECK(g.regressions(6).candidate_answer().empty());
  CHECK(g.summary().find("and 2 more") != std::string::npos);
  CHECK(g.summary().find(std::string(57, 'a') + "...") != std::string::npos);
}
