#include "agents/datagen/candidate_selector.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <random>

#include "runtime/base/text.h"

namespace kaizen::agents {
namespace {

// Round-robin over groups: one from each group per round, groups in `order`.
std::vector<Candidate> RoundRobin(const std::vector<std::string>& order,
                                  std::map<std::string, std::vector<Candidate>>& groups) {
  std::vector<Candidate> out;
  std::map<std::string, std::size_t> next;
  bool any = true;
  while (any) {
    any = false;
    for (const auto& key : order) {
      auto& g = groups[key];
      std::size_t& i = next[key];
      if (i < g.size()) {
        out.push_back(std::move(g[i++]));
        any = true;
      }
    }
  }
  return out;
}

// Groups an already ordered list by key; the group order is the focus keys
// present first, then the order in which keys first appear.
std::vector<Candidate> Interleave(std::vector<Candidate> sorted, const std::vector<std::string>& first,
                                  const std::function<std::string(const Candidate&)>& key_of) {
  std::map<std::string, std::vector<Candidate>> groups;
  std::vector<std::string> seen;
  for (auto& c : sorted) {
    std::string k = key_of(c);
    if (!groups.count(k)) seen.push_back(k);
    groups[k].push_back(std::move(c));
  }
  std::vector<std::string> order;
  for (const auto& f : first) {
    if (groups.count(f) && std::find(order.begin(), order.end(), f) == order.end()) order.push_back(f);
  }
  for (const auto& k : seen) {
    if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
  }
  return RoundRobin(order, groups);
}

bool MoreRecent(const Candidate& a, const Candidate& b) { return a.seq > b.seq; }

bool LessConfident(const Candidate& a, const Candidate& b) {
  if (a.confidence != b.confidence) return a.confidence < b.confidence;
  return a.seq > b.seq;
}

}  // namespace

std::string NormalizeText(std::string_view text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

void CandidatePool::AddResult(const v1::TaskResult& result, uint64_t seq) {
  if (result.task_id().empty()) return;
  Candidate& c = by_task_[result.task_id()];
  c.task_id = result.task_id();
  // A retried task has several results: keep the latest answer.
  if (c.has_result && seq < c.seq) return;
  c.has_result = result.ok() && !result.input().empty();
  c.text = result.input();
  c.predicted = result.output();
  c.confidence = result.confidence();
  c.tags = {result.tags().begin(), result.tags().end()};
  c.seq = seq;
  // A deferred answer (spec.worker.defer) is the teacher's: a label already
  // paid for, used like a correction from "deferral:<teacher>" so it costs no
  // second call. Its correction_seq is 0, so a person's correction replaces
  // it whenever it comes; the worker's own answer is what it predicted.
  auto deferred = c.tags.find("deferred");
  if (deferred == c.tags.end() || !c.has_result) return;
  if (auto own = c.tags.find("worker_answer"); own != c.tags.end()) c.predicted = own->second;
  std::string label = Trim(result.output());
  const bool person = !c.correction.empty() && c.correction_source.rfind("deferral:", 0) != 0;
  if (person || label.empty() || label.size() > kMaxCorrectionBytes) return;
  c.correction = std::move(label);
  c.correction_source = ("deferral:" + deferred->second).substr(0, kMaxCorrectionSourceBytes);
  c.correction_seq = 0;
}

void CandidatePool::AddFeedback(const v1::Feedback& feedback, uint64_t seq) {
  if (feedback.task_id().empty()) return;
  Candidate& c = by_task_[feedback.task_id()];
  c.task_id = feedback.task_id();
  switch (feedback.kind()) {
    case v1::Feedback::THUMBS_DOWN:
    case v1::Feedback::CORRECTION: {
      c.thumbs_down = true;
      // The latest correction wins (by seq: events may come in any order).
      std::string text = Trim(feedback.correction());
      if (!text.empty() && text.size() <= kMaxCorrectionBytes && (c.correction.empty() || seq > c.correction_seq)) {
        c.correction = std::move(text);
        c.correction_source = feedback.source().substr(0, kMaxCorrectionSourceBytes);
        c.correction_seq = seq;
      }
      break;
    }
    case v1::Feedback::THUMBS_UP:
      c.thumbs_up = true;
      break;
    default:
      break;
  }
  if (c.tags.empty()) c.tags = {feedback.tags().begin(), feedback.tags().end()};
}

std::vector<Candidate> CandidatePool::Candidates(bool dedupe) const {
  std::vector<Candidate> all;
  for (const auto& [id, c] : by_task_) {
    if (c.has_result) all.push_back(c);
  }
  // Oldest first, so the output does not depend on hash order.
  std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.seq < b.seq; });
  if (!dedupe) return all;
  std::vector<Candidate> out;
  std::unordered_map<std::string, std::size_t> index;
  for (auto& c : all) {
    std::string key = NormalizeText(c.text);
    auto it = index.find(key);
    if (it == index.end()) {
      index.emplace(std::move(key), out.size());
      out.push_back(std::move(c));
      continue;
    }
    Candidate& kept = out[it->second];
    const bool down = kept.thumbs_down || c.thumbs_down;
    const double conf = std::min(kept.confidence, c.confidence);
    const bool up = kept.thumbs_up || c.thumbs_up;
    // The latest correction of any copy.
    const bool kept_correction =
        !kept.correction.empty() && (c.correction.empty() || kept.correction_seq > c.correction_seq);
    std::string correction = kept_correction ? std::move(kept.correction) : std::move(c.correction);
    std::string source = kept_correction ? std::move(kept.correction_source) : std::move(c.correction_source);
    const uint64_t correction_seq = kept_correction ? kept.correction_seq : c.correction_seq;
    kept = std::move(c);  // the most recent copy (ascending seq)
    kept.thumbs_down = down;
    kept.thumbs_up = up;
    kept.confidence = conf;
    kept.correction = std::move(correction);
    kept.correction_source = std::move(source);
    kept.correction_seq = correction_seq;
  }
  return out;
}

bool CandidateSelector::KnownPolicy(const std::string& policy) {
  return policy == "failures_first" || policy == "low_confidence_stratified" || policy == "random";
}

bool CandidateSelector::Qualifies(const Candidate& c) const {
  return c.thumbs_down || c.confidence < options_.low_confidence;
}

std::size_t CandidateSelector::CountQualifying(const std::vector<Candidate>& candidates) const {
  return static_cast<std::size_t>(
      std::count_if(candidates.begin(), candidates.end(), [this](const Candidate& c) { return Qualifies(c); }));
}

std::size_t CandidateSelector::CountCorrected(const std::vector<Candidate>& candidates) {
  return static_cast<std::size_t>(
      std::count_if(candidates.begin(), candidates.end(), [](const Candidate& c) { return !c.correction.empty(); }));
}

std::string CandidateSelector::ReasonOf(const Candidate& c) const {
  if (options_.corrections_first && !c.correction.empty()) return "correction";
  if (c.thumbs_down) return "thumbs_down";
  if (c.confidence < options_.low_confidence) return "low_confidence";
  return "fill";
}

Selection CandidateSelector::Select(std::vector<Candidate> candidates) const {
  Selection sel;
  sel.policy = KnownPolicy(options_.policy) ? options_.policy : "random";
  // Categories along the focus' dimension (the first focus entry names it).
  std::string dim = "domain";
  if (!options_.focus.empty()) {
    auto eq = options_.focus[0].find('=');
    if (eq != std::string::npos && eq > 0) dim = options_.focus[0].substr(0, eq);
  }
  auto key_of = [dim](const Candidate& c) {
    if (dim == "predicted_label") return dim + "=" + c.predicted;
    auto it = c.tags.find(dim);
    return dim + "=" + (it == c.tags.end() ? std::string() : it->second);
  };

  // Corrected inputs first: most recent first, round-robin across categories.
  std::vector<Candidate> ordered;
  if (options_.corrections_first) {
    std::vector<Candidate> corrected, rest;
    for (auto& c : candidates) (c.correction.empty() ? rest : corrected).push_back(std::move(c));
    std::stable_sort(corrected.begin(), corrected.end(), MoreRecent);
    ordered = Interleave(std::move(corrected), options_.focus, key_of);
    if (ordered.size() > options_.limit) ordered.resize(options_.limit);
    candidates = std::move(rest);
  }
  const std::size_t paid = std::min(options_.limit - ordered.size(), options_.teacher_limit);

  std::vector<Candidate> policy_order;
  if (sel.policy == "failures_first") {
    std::vector<Candidate> down, low, rest;
    for (auto& c : candidates) {
      if (c.thumbs_down) {
        down.push_back(std::move(c));
      } else if (c.confidence < options_.low_confidence) {
        low.push_back(std::move(c));
      } else {
        rest.push_back(std::move(c));
      }
    }
    std::stable_sort(down.begin(), down.end(), MoreRecent);
    std::stable_sort(low.begin(), low.end(), LessConfident);
    std::stable_sort(rest.begin(), rest.end(), LessConfident);
    for (auto* tier : {&down, &low, &rest}) {
      for (auto& c : Interleave(std::move(*tier), options_.focus, key_of)) policy_order.push_back(std::move(c));
    }
  } else if (sel.policy == "low_confidence_stratified") {
    std::stable_sort(candidates.begin(), candidates.end(), LessConfident);
    policy_order = Interleave(std::move(candidates), {}, [](const Candidate& c) { return c.predicted; });
  } else {
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.seq < b.seq; });
    std::mt19937_64 rng(options_.seed);
    std::shuffle(candidates.begin(), candidates.end(), rng);
    policy_order = std::move(candidates);
  }
  if (policy_order.size() > paid) policy_order.resize(paid);
  for (auto& c : policy_order) ordered.push_back(std::move(c));

  for (auto& c : ordered) {
    std::string why = ReasonOf(c);
    ++sel.counts[why];
    sel.rows.push_back({std::move(c), std::move(why)});
  }
  return sel;
}

}  // namespace kaizen::agents
