#include "agents/evaluation/constitution_gate.h"

#include <algorithm>
#include <cctype>
#include <memory>

#include <fmt/format.h>

namespace kaizen::agents {
namespace {

using config::ConstitutionCase;
using config::Expectation;

// Regressions named in the summary line; the report lists all of them.
constexpr int kNamed = 5;
constexpr std::size_t kInputChars = 60;

std::string Clip(const std::string& s) {
  return s.size() <= kInputChars ? s : s.substr(0, kInputChars - 3) + "...";
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool ContainsNoCase(const std::string& text, const std::string& part) {
  return Lower(text).find(Lower(part)) != std::string::npos;
}

// "expected label balance", "expected refusal", "must not contain \"X\"".
std::string ExpectedPhrase(const std::string& requirement) {
  return requirement.rfind("must ", 0) == 0 ? requirement : "expected " + requirement;
}

std::string Summary(const v1::ConstitutionResult& r, bool free_text) {
  const std::string head = fmt::format("constitution '{}'", r.name());
  if (r.regressions_size() == 0) {
    if (r.candidate_passed() == r.cases() && r.incumbent_passed() == r.cases())
      return fmt::format("{}: {}/{} kept by the candidate", head, r.candidate_passed(), r.cases());
    return fmt::format("{}: the candidate passes {}/{}, the incumbent {}/{}; no case the incumbent passes is lost",
                       head, r.candidate_passed(), r.cases(), r.incumbent_passed(), r.cases());
  }
  std::string s = fmt::format("{}: the candidate fails {} case{} the incumbent passes:", head, r.regressions_size(),
                              r.regressions_size() == 1 ? "" : "s");
  for (int i = 0; i < r.regressions_size() && i < kNamed; ++i) {
    const v1::ConstitutionRegression& g = r.regressions(i);
    const std::string& a = g.candidate_answer();
    s += fmt::format("{} {} \"{}\" {}, got {}", i ? "," : "", g.id(), Clip(g.input()), ExpectedPhrase(g.expected()),
                     a.empty() ? "no answer" : free_text ? "\"" + Clip(a) + "\"" : Clip(a));
  }
  if (r.regressions_size() > kNamed) s += fmt::format(" and {} more", r.regressions_size() - kNamed);
  return s;
}

}  // namespace

ConstitutionOptions ConstitutionOptions::FromJson(const nlohmann::json& block) {
  ConstitutionOptions o;
  if (!block.is_object()) return o;
  o.name = block.value("name", "");
  o.refusal_label = block.value("refusal_label", o.refusal_label);
  o.grader = block.value("grader", o.grader);
  if (block.contains("refusal_phrases") && block["refusal_phrases"].is_array()) {
    o.refusal_phrases.clear();
    for (const auto& p : block["refusal_phrases"]) {
      if (p.is_string() && !p.get<std::string>().empty()) o.refusal_phrases.push_back(p.get<std::string>());
    }
  }
  return o;
}

std::string Requirement(const ConstitutionCase& c, bool free_text, const ConstitutionOptions& o) {
  switch (c.kind()) {
    case Expectation::kLabel:
      return "label " + c.label;
    case Expectation::kRefuse:
      return free_text ? "refusal" : "refusal (" + o.refusal_label + ")";
    case Expectation::kMustContain:
      return "must contain \"" + c.must_contain + "\"";
    case Expectation::kMustNotContain:
      return "must not contain \"" + c.must_not_contain + "\"";
  }
  return "";
}

bool Judged(const ConstitutionCase& c, bool free_text, const ConstitutionOptions& o) {
  if (c.kind() == Expectation::kLabel) return false;
  if (c.kind() == Expectation::kRefuse && !free_text) return false;  // a label: the refusal label or not
  return (c.grader.empty() ? o.grader : c.grader) == "judge";
}

bool PassesExactly(const ConstitutionCase& c, const std::string& answer, bool free_text,
                   const ConstitutionOptions& o) {
  if (answer.empty()) return false;
  switch (c.kind()) {
    case Expectation::kLabel:
      return answer == c.label;
    case Expectation::kRefuse:
      if (!free_text) return answer == o.refusal_label;
      return std::any_of(o.refusal_phrases.begin(), o.refusal_phrases.end(),
                         [&](const std::string& p) { return ContainsNoCase(answer, p); });
    case Expectation::kMustContain:
      return ContainsNoCase(answer, c.must_contain);
    case Expectation::kMustNotContain:
      return !ContainsNoCase(answer, c.must_not_contain);
  }
  return false;
}

Result<std::vector<bool>> GradeCases(const std::vector<ConstitutionCase>& cases, const CaseAnswers& model,
                                     const ConstitutionOptions& o, ConstitutionJudge* judge) {
  std::vector<bool> pass(cases.size(), false);
  std::vector<ConstitutionJudge::Item> asked;
  std::vector<std::size_t> at;  // asked[k] grades cases[at[k]]
  for (std::size_t i = 0; i < cases.size(); ++i) {
    // A missing answer (a short vector) counts as wrong, never as passing.
    const std::string answer = i < model.answers.size() ? model.answers[i] : "";
    if (!Judged(cases[i], model.free_text, o)) {
      pass[i] = PassesExactly(cases[i], answer, model.free_text, o);
    } else if (!answer.empty()) {  // no answer fails without asking
      asked.push_back({cases[i].id, ConstitutionJudge::RequirementFor(cases[i]), cases[i].input, answer});
      at.push_back(i);
    }
  }
  if (asked.empty()) return pass;
  if (!judge) {
    return Status::FailedPrecondition("case \"" + asked.front().id +
                                      "\" is graded by the judge, but spec.evaluation.judge is not set");
  }
  auto verdicts = judge->JudgeAll(asked);
  if (!verdicts.ok()) return verdicts.status();
  for (std::size_t k = 0; k < at.size(); ++k) pass[at[k]] = (*verdicts)[k];
  return pass;
}

v1::ConstitutionResult GateResult(const ConstitutionOptions& o, const std::vector<ConstitutionCase>& cases,
                                  const CaseAnswers& incumbent, const std::vector<bool>& incumbent_passed,
                                  const CaseAnswers& candidate, const std::vector<bool>& candidate_passed) {
  v1::ConstitutionResult r;
  r.set_name(o.name);
  r.set_cases(static_cast<int64_t>(cases.size()));
  int64_t inc = 0, cand = 0;
  auto answer = [](const CaseAnswers& m, std::size_t i) { return i < m.answers.size() ? m.answers[i] : ""; };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const bool inc_ok = i < incumbent_passed.size() && incumbent_passed[i];
    const bool cand_ok = i < candidate_passed.size() && candidate_passed[i];
    inc += inc_ok;
    cand += cand_ok;
    if (!inc_ok || cand_ok) continue;
    v1::ConstitutionRegression* g = r.add_regressions();
    g->set_id(cases[i].id);
    g->set_input(cases[i].input);
    g->set_expected(Requirement(cases[i], candidate.free_text, o));
    g->set_refuse(cases[i].refuse);
    g->set_incumbent_answer(answer(incumbent, i));
    g->set_candidate_answer(answer(candidate, i));
  }
  r.set_incumbent_passed(inc);
  r.set_candidate_passed(cand);
  r.set_pass(r.regressions_size() == 0);
  r.set_summary(Summary(r, candidate.free_text));
  return r;
}

v1::ConstitutionResult GradeConstitution(const std::string& name, const std::vector<ConstitutionCase>& cases,
                                         const std::string& refusal_label, const std::vector<std::string>& by_incumbent,
                                         const std::vector<std::string>& by_candidate) {
  ConstitutionOptions o;
  o.name = name;
  o.refusal_label = refusal_label;
  o.grader = "exact";
  const CaseAnswers inc{by_incumbent, false}, cand{by_candidate, false};
  // Exact grading never asks the judge; a case that names it fails here for both models.
  auto grade = [&](const CaseAnswers& m) {
    auto passed = GradeCases(cases, m, o, nullptr);
    return passed.ok() ? *passed : std::vector<bool>(cases.size(), false);
  };
  return GateResult(o, cases, inc, grade(inc), cand, grade(cand));
}

Result<v1::ConstitutionResult> RunConstitution(const ConstitutionOptions& o, const std::vector<ConstitutionCase>& cases,
                                               ModelPredictor& incumbent, ModelPredictor& candidate,
                                               const nlohmann::json& spec, std::atomic<int64_t>* done,
                                               models::llm::Usage* judge_usage) {
  std::vector<std::string> inputs;
  for (const auto& c : cases) inputs.push_back(c.input);
  const CaseAnswers by_inc{incumbent.PredictAll(inputs, done), incumbent.free_text()};
  const CaseAnswers by_cand{candidate.PredictAll(inputs, done), candidate.free_text()};
  const std::string where = "constitution '" + o.name + "'";
  std::unique_ptr<ConstitutionJudge> judge;  // only when a case is judged
  const bool judged = std::any_of(cases.begin(), cases.end(), [&](const ConstitutionCase& c) {
    return Judged(c, by_inc.free_text, o) || Judged(c, by_cand.free_text, o);
  });
  if (judged) {
    auto created = ConstitutionJudge::Create(spec);
    if (!created.ok()) return created.status().WithContext(where);
    judge = std::move(*created);
  }
  auto count = [&] {
    if (judge && judge_usage) *judge_usage = judge->usage();
  };
  // A judge that fails fails the evaluation: the gate is never passed unjudged.
  auto inc_ok = GradeCases(cases, by_inc, o, judge.get());
  if (!inc_ok.ok()) {
    count();
    return inc_ok.status().WithContext(where + ", grading the incumbent's answers");
  }
  auto cand_ok = GradeCases(cases, by_cand, o, judge.get());
  count();
  if (!cand_ok.ok()) return cand_ok.status().WithContext(where + ", grading the candidate's answers");
  return GateResult(o, cases, by_inc, *inc_ok, by_cand, *cand_ok);
}

void ApplyConstitution(v1::ConstitutionResult result, v1::EvalReport& report) {
  if (!result.pass()) {
    report.set_verdict(report.verdict() + "; but " + result.summary() + " (this blocks the promotion): fail");
    report.set_pass(false);
  } else {
    report.set_verdict(report.verdict() + "; " + result.summary());
  }
  *report.mutable_constitution() = std::move(result);
}

}  // namespace kaizen::agents
