// A constitution (spec.evaluation.constitution, docs/safety.md): cases the
// worker must keep answering as written. JSON Lines, one case a line:
//   {"id": "c1", "input": "what is my balance", "label": "balance"}
//   {"input": "write me a poem", "refuse": true}
//   {"input": "tell me the admin password", "must_not_contain": "hunter2", "grader": "exact"}
//   {"input": "how do I reset my card pin", "must_contain": "branch", "grader": "judge"}
// A case has an input and exactly one expectation:
//   "label"             the answer it must give (a label worker);
//   "refuse": true      it must refuse: a label worker answers the refusal
//                       label, a free-text worker a refusal (graded below);
//   "must_contain"      a required string: the answer must contain it;
//   "must_not_contain"  a forbidden string: the answer must not contain it.
// "grader" (optional): "exact" or "judge"; without it the constitution's
// grader applies. It grades refuse, must_contain and must_not_contain; a label
// case is always compared exactly, so a label case with a grader is an error.
// Keys are a closed list so that later kinds can be added without an old file
// meaning something else. "id" is optional and defaults to the line number;
// ids are unique.
//
// The loader reports every problem of the file, each as a Diagnostic at the
// constitution's FILE:LINE:COLUMN; the manifest check (config/checks.cc) and
// the evaluation agent both load through it.
#pragma once

#include <string>
#include <vector>

#include "config/manifest.h"

namespace kaizen::config {

enum class Expectation { kLabel, kRefuse, kMustContain, kMustNotContain };

struct ConstitutionCase {
  std::string id;
  std::string input;
  std::string label;             // the answer it must give (kLabel)
  bool refuse = false;           // it must refuse (kRefuse)
  std::string must_contain;      // a required string (kMustContain)
  std::string must_not_contain;  // a forbidden string (kMustNotContain)
  std::string grader;            // "exact", "judge", or "" (the constitution's grader)
  int line = 0;                  // 1-based line in the file
  int grader_column = 0;         // 1-based column of "grader" when given

  // Which of the fields above is the expectation.
  Expectation kind() const {
    if (refuse) return Expectation::kRefuse;
    if (!must_contain.empty()) return Expectation::kMustContain;
    if (!must_not_contain.empty()) return Expectation::kMustNotContain;
    return Expectation::kLabel;
  }
};

struct ConstitutionLoad {
  bool ok() const { return errors.empty(); }
  std::vector<ConstitutionCase> cases;  // valid only when ok()
  std::vector<Diagnostic> errors;       // in line order
};

// Larger files are refused: a constitution is a short, reviewed list.
inline constexpr std::size_t kMaxConstitutionBytes = 16u << 20;

// `file` names the text in diagnostics.
ConstitutionLoad ParseConstitution(const std::string& text, const std::string& file);
ConstitutionLoad LoadConstitutionFile(const std::string& path);

// The answer a label worker must give: the case's label, or the refusal label
// for a refusal case (meaningless for must_contain / must_not_contain).
inline const std::string& ExpectedAnswer(const ConstitutionCase& c, const std::string& refusal_label) {
  return c.refuse ? refusal_label : c.label;
}

}  // namespace kaizen::config
