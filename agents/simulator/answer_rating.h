// AnswerRating: how a simulated user decides whether an answer was right.
// "exact" (labels): the answer is the data set's label. "overlap" (free text,
// e.g. support replies): the answer's content words overlap the reference
// reply's with an F1 of at least `overlap_pass`, as a person skimming a reply
// for the facts they need would judge it. Content words are lower-cased runs
// of letters and digits of 2+ characters.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

class AnswerRating {
 public:
  // settings: spec.simulator (rating, overlap_pass); unknown ratings are exact
  // (the manifest schema refuses them before an agent starts).
  static AnswerRating FromSettings(const nlohmann::json& settings);

  bool Right(const std::string& answer, const std::string& reference) const;

  // Unigram F1 of the two texts' content-word sets, in [0, 1]; 0 when either has none.
  static double OverlapF1(const std::string& answer, const std::string& reference);

 private:
  bool overlap_ = false;
  double pass_ = 0.5;
};

}  // namespace kaizen::agents
