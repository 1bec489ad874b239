#include "agents/simulator/answer_rating.h"

#include <cctype>
#include <set>

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

std::set<std::string> ContentWords(const std::string& text) {
  std::set<std::string> out;
  std::string w;
  auto flush = [&] {
    if (w.size() >= 2) out.insert(w);
    w.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      w += static_cast<char>(std::tolower(c));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

}  // namespace

AnswerRating AnswerRating::FromSettings(const nlohmann::json& settings) {
  AnswerRating r;
  r.overlap_ = config::SettingOrDefault(settings, "spec.simulator", "rating").get<std::string>() == "overlap";
  r.pass_ = config::SettingOrDefault(settings, "spec.simulator", "overlap_pass").get<double>();
  return r;
}

double AnswerRating::OverlapF1(const std::string& answer, const std::string& reference) {
  const auto a = ContentWords(answer), b = ContentWords(reference);
  if (a.empty() || b.empty()) return 0.0;
  std::size_t shared = 0;
  for (const auto& w : a) shared += b.count(w);
  if (shared == 0) return 0.0;
  const double p = static_cast<double>(shared) / static_cast<double>(a.size());
  const double r = static_cast<double>(shared) / static_cast<double>(b.size());
  return 2 * p * r / (p + r);
}

bool AnswerRating::Right(const std::string& answer, const std::string& reference) const {
  if (!overlap_) return answer == reference;
  return OverlapF1(answer, reference) >= pass_;
}

}  // namespace kaizen::agents
