#include "agents/memory/lessons.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <sstream>

#include "agents/models/llm/json_reply.h"
#include "runtime/base/text.h"

namespace kaizen::memory {
namespace {

using json = nlohmann::json;

constexpr std::size_t kLessonQuoteBytes = 200;

std::string LessonQuote(const std::string& s) { return "\"" + Abbreviate(s, kLessonQuoteBytes) + "\""; }

// Task ids cited by a critic's lesson: strings (trimmed, non-empty) or
// integers, each once, in order.
std::vector<std::string> LessonsCitedIds(const json& tasks) {
  std::vector<std::string> ids;
  if (!tasks.is_array()) return ids;
  for (const auto& t : tasks) {
    std::string id;
    if (t.is_string()) id = Trim(t.get<std::string>());
    else if (t.is_number_integer()) id = t.dump();
    if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  return ids;
}

std::string LessonsJoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

int LessonsTotalTokens(const std::vector<Lesson>& lessons) {
  int total = 0;
  for (const auto& l : lessons) total += CountTokens(l.text);
  return total;
}

// The lesson to drop to get within bounds: fewest cited tasks, then the
// oldest, then the first.
std::size_t LessonsToDrop(const std::vector<Lesson>& lessons) {
  std::size_t victim = 0;
  for (std::size_t i = 1; i < lessons.size(); ++i) {
    const auto& a = lessons[i];
    const auto& b = lessons[victim];
    if (a.task_ids.size() < b.task_ids.size() ||
        (a.task_ids.size() == b.task_ids.size() && a.created_ms < b.created_ms)) {
      victim = i;
    }
  }
  return victim;
}

std::string LessonsPlural(std::size_t n, const char* one) { return std::to_string(n) + " " + one + (n == 1 ? "" : "s"); }

Result<Lesson> LessonsEntryFromJson(const json& j, const std::string& where) {
  if (!j.is_object()) return Status::Corruption(where + ": not a JSON object");
  Lesson l;
  auto text = j.find("text");
  if (text == j.end() || !text->is_string()) return Status::Corruption(where + ".text: missing or not a string");
  l.text = text->get<std::string>();
  auto ids = j.find("task_ids");
  if (ids == j.end() || !ids->is_array()) return Status::Corruption(where + ".task_ids: missing or not an array");
  for (std::size_t i = 0; i < ids->size(); ++i) {
    const auto& id = (*ids)[i];
    if (!id.is_string()) {
      return Status::Corruption(where + ".task_ids[" + std::to_string(i) + "]: not a string");
    }
    l.task_ids.push_back(id.get<std::string>());
  }
  if (auto c = j.find("category"); c != j.end()) {
    if (!c->is_string()) return Status::Corruption(where + ".category: not a string");
    l.category = c->get<std::string>();
  }
  if (auto t = j.find("created_ms"); t != j.end()) {
    if (!t->is_number_integer()) return Status::Corruption(where + ".created_ms: not an integer");
    l.created_ms = t->get<int64_t>();
  }
  return l;
}

}  // namespace

Status ValidateLessonBounds(const LessonBounds& bounds) {
  if (bounds.max_lessons < 1) {
    return Status::InvalidArgument("max_lessons must be at least 1, got " + std::to_string(bounds.max_lessons));
  }
  if (bounds.max_tokens < 1) {
    return Status::InvalidArgument("max_tokens must be at least 1, got " + std::to_string(bounds.max_tokens));
  }
  if (bounds.max_lesson_tokens < 1) {
    return Status::InvalidArgument("max_lesson_tokens must be at least 1, got " +
                                   std::to_string(bounds.max_lesson_tokens));
  }
  return Status::OK();
}

int CountTokens(std::string_view text) {
  int n = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

Result<CriticLessons> ParseCriticReply(const std::string& content, const std::string& category,
                                       const LessonBounds& bounds, int64_t created_ms,
                                       const std::vector<std::string>& known_task_ids) {
  auto reply = models::llm::FirstJsonObject(content);
  if (!reply) return Status::InvalidArgument("critic reply has no JSON object: " + LessonQuote(content));
  auto list = reply->find("lessons");
  if (list == reply->end() || !list->is_array()) {
    return Status::InvalidArgument("critic reply has no \"lessons\" array: " + LessonQuote(content));
  }
  const std::set<std::string> known(known_task_ids.begin(), known_task_ids.end());
  CriticLessons out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& entry = (*list)[i];
    const std::string where = "lesson " + std::to_string(i + 1) + ": ";
    auto refuse = [&](std::string text, const std::string& why) {
      out.refused.push_back({Abbreviate(std::move(text), kLessonQuoteBytes), where + why});
    };
    if (!entry.is_object()) {
      refuse(entry.dump(), "not a JSON object");
      continue;
    }
    auto text_field = entry.find("lesson");
    if (text_field == entry.end()) text_field = entry.find("text");
    if (text_field == entry.end() || !text_field->is_string()) {
      refuse(entry.dump(), "no \"lesson\" text");
      continue;
    }
    const std::string text = Trim(text_field->get<std::string>());
    if (text.empty()) {
      refuse(text, "empty lesson");
      continue;
    }
    if (const int tokens = CountTokens(text); tokens > bounds.max_lesson_tokens) {
      refuse(text, std::to_string(tokens) + " tokens, over max_lesson_tokens " +
                       std::to_string(bounds.max_lesson_tokens));
      continue;
    }
    auto tasks = entry.find("tasks");
    if (tasks == entry.end()) tasks = entry.find("task_ids");
    const auto cited = tasks == entry.end() ? std::vector<std::string>{} : LessonsCitedIds(*tasks);
    std::vector<std::string> ids;
    for (const auto& id : cited) {
      if (known.empty() || known.count(id)) ids.push_back(id);
    }
    if (cited.empty()) {
      refuse(text, "cites no task id");
      continue;
    }
    if (ids.empty()) {
      refuse(text, "cites none of the failures' task ids (cited: " + LessonsJoinIds(cited) + ")");
      continue;
    }
    out.lessons.push_back({text, std::move(ids), category, created_ms});
  }
  return out;
}

MergeResult MergeLessons(const std::vector<Lesson>& existing, const std::vector<Lesson>& incoming,
                         const LessonBounds& bounds) {
  MergeResult r;
  r.lessons = existing;
  std::vector<std::string> normalized;
  std::vector<std::vector<std::string>> terms;
  for (const auto& l : r.lessons) {
    normalized.push_back(NormalizeText(l.text));
    terms.push_back(Terms(l.text));
  }
  for (const auto& in : incoming) {
    const std::string norm = NormalizeText(in.text);
    if (norm.empty()) {
      ++r.dropped;
      r.reasons.push_back("dropped an empty lesson " + LessonQuote(in.text));
      continue;
    }
    if (const int tokens = CountTokens(in.text); tokens > bounds.max_lesson_tokens) {
      ++r.dropped;
      r.reasons.push_back("dropped " + LessonQuote(in.text) + ": " + std::to_string(tokens) +
                          " tokens, over max_lesson_tokens " + std::to_string(bounds.max_lesson_tokens));
      continue;
    }
    auto in_terms = Terms(in.text);
    std::optional<std::size_t> match;
    double best = 0;
    for (std::size_t i = 0; i < r.lessons.size() && !match; ++i) {
      if (normalized[i] == norm) match = i;
    }
    if (!match) {
      for (std::size_t i = 0; i < r.lessons.size(); ++i) {
        const double sim = Jaccard(terms[i], in_terms);
        if (sim >= kNearDuplicateJaccard && sim > best) best = sim, match = i;
      }
    }
    if (match) {
      Lesson& kept = r.lessons[*match];
      for (const auto& id : in.task_ids) {
        if (std::find(kept.task_ids.begin(), kept.task_ids.end(), id) == kept.task_ids.end()) {
          kept.task_ids.push_back(id);
        }
      }
      ++r.merged;
      std::ostringstream why;
      why << "merged " << LessonQuote(in.text) << " into " << LessonQuote(kept.text);
      if (normalized[*match] == norm) why << " (same text)";
      else why << " (near-duplicate, Jaccard " << ShortNumber(best) << ")";
      r.reasons.push_back(why.str());
      continue;
    }
    r.lessons.push_back(in);
    normalized.push_back(norm);
    terms.push_back(std::move(in_terms));
    ++r.added;
  }
  for (int total = LessonsTotalTokens(r.lessons);
       !r.lessons.empty() && (static_cast<int>(r.lessons.size()) > bounds.max_lessons || total > bounds.max_tokens);
       total = LessonsTotalTokens(r.lessons)) {
    const std::size_t victim = LessonsToDrop(r.lessons);
    const Lesson& l = r.lessons[victim];
    std::string why = "dropped " + LessonQuote(l.text) + " (cites " + LessonsPlural(l.task_ids.size(), "task") +
                      ", created_ms " + std::to_string(l.created_ms) + "): ";
    if (static_cast<int>(r.lessons.size()) > bounds.max_lessons) {
      why += LessonsPlural(r.lessons.size(), "lesson") + ", over max_lessons " + std::to_string(bounds.max_lessons);
    } else {
      why += std::to_string(total) + " tokens in all, over max_tokens " + std::to_string(bounds.max_tokens);
    }
    why += "; it cites the fewest tasks";
    r.reasons.push_back(std::move(why));
    ++r.dropped;
    r.lessons.erase(r.lessons.begin() + static_cast<std::ptrdiff_t>(victim));
  }
  return r;
}

json LessonMemory::ToJson() const {
  json list = json::array();
  for (const auto& l : lessons) {
    list.push_back({{"text", l.text}, {"task_ids", l.task_ids}, {"category", l.category}, {"created_ms", l.created_ms}});
  }
  return {{"format", kLessonMemoryFormat}, {"lessons", std::move(list)},
          {"provenance", provenance.is_null() ? json::object() : provenance}};
}

Result<LessonMemory> LessonMemory::FromJson(const json& j) {
  if (!j.is_object()) return Status::Corruption("lesson memory: not a JSON object");
  auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != kLessonMemoryFormat) {
    return Status::Corruption(std::string("not a lesson memory: \"format\" is not \"") + kLessonMemoryFormat +
                              "\"" + (format == j.end() ? " (missing)" : " (got " + Abbreviate(format->dump(), 80) + ")"));
  }
  auto list = j.find("lessons");
  if (list == j.end() || !list->is_array()) return Status::Corruption("lesson memory: lessons: missing or not an array");
  LessonMemory m;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto l = LessonsEntryFromJson((*list)[i], "lessons[" + std::to_string(i) + "]");
    if (!l.ok()) return Status::Corruption("lesson memory: " + l.status().message());
    m.lessons.push_back(std::move(*l));
  }
  if (auto p = j.find("provenance"); p != j.end()) {
    if (!p->is_object()) return Status::Corruption("lesson memory: provenance: not a JSON object");
    m.provenance = *p;
  }
  return m;
}

Result<LessonMemory> LessonMemory::Parse(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption("lesson memory: not JSON: " + LessonQuote(text));
  return FromJson(j);
}

LessonRetriever::LessonRetriever(const std::vector<Lesson>& lessons) {
  for (const auto& l : lessons) {
    auto terms = Terms(l.text);
    for (auto& t : Terms(l.category)) terms.push_back(std::move(t));
    index_.Add(terms);
  }
}

std::vector<std::size_t> LessonRetriever::Retrieve(const std::string& input, std::size_t k, double min_score) const {
  return index_.TopK(Terms(input), k, min_score);
}

std::vector<std::size_t> RetrieveLessons(const std::vector<Lesson>& lessons, const std::string& input, std::size_t k,
                                         double min_score) {
  return LessonRetriever(lessons).Retrieve(input, k, min_score);
}

}  // namespace kaizen::memory
