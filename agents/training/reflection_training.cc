#include "agents/training/reflection_training.h"

#include <algorithm>
#include <map>

#include <spdlog/fmt/fmt.h>

#include "agents/memory/lessons.h"
#include "agents/memory/memory_artifact.h"
#include "runtime/base/clock.h"
#include "runtime/base/text.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
namespace llm = models::llm;

constexpr const char* kCriticSystem =
    "You are a critic of an assistant's answers. From its failures below, write short, general lessons that would "
    "have made it answer right, one per kind of mistake. Cite the task ids each lesson comes from. Reply with JSON "
    "only: {\"lessons\": [{\"lesson\": \"...\", \"tasks\": [\"TASK_ID\", ...]}]}";

std::string Lowered(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A row this cycle's worker got wrong or a person corrected.
bool IsFailure(const DatasetRow& r) {
  if (r.split != "train" || r.selected_by == "carried") return false;
  if (LabelledByPerson(r)) return true;
  return r.worker_answer.empty() || Lowered(Trim(r.worker_answer)) != Lowered(Trim(r.label));
}

std::string CategoryOf(const DatasetRow& r) {
  if (r.tags.empty()) return "all";
  return r.tags.begin()->first + "=" + r.tags.begin()->second;  // std::map: the first key in order
}

std::string Quoted(const std::string& s) {
  std::string out;
  for (char c : Abbreviate(s, 300)) out += (c == '\n' || c == '\r') ? ' ' : (c == '"' ? '\'' : c);
  return "\"" + out + "\"";
}

}  // namespace

std::string CriticRequest(const std::string& category, const std::vector<DatasetRow>& failures, int max_shown) {
  std::string out = "Category: " + category + "\nFailures:\n";
  int shown = 0;
  for (const DatasetRow& r : failures) {
    if (shown++ >= max_shown) break;
    out += "- " + (r.task_id.empty() ? "" : "[" + r.task_id + "] ") + Quoted(r.text) + " -> " + r.label;
    if (!r.worker_answer.empty()) out += " (it answered " + r.worker_answer + ")";
    out += "\n";
  }
  return out;
}

Result<json> RunReflectionTraining(const StrategyTrainingInputs& in) {
  const auto started = std::chrono::steady_clock::now();
  const PromptTrainJob& job = *in.job;
  const llm::PromptModel& base = *in.base;
  const std::string tag = "training:" + job.cycle_id;

  llm::ChatClient* critic = in.critic;
  const std::string& critic_name = in.critic_name;
  if (!critic) {
    return Status::InvalidArgument("reflection needs a critic: spec.planning.critic, or a teacher with backend openai "
                                   "(training.prompt.teacher, else the first openai entry of spec.teachers)");
  }
  memory::LessonBounds bounds;
  bounds.max_lessons = job.prompt.value("max_lessons", bounds.max_lessons);
  bounds.max_tokens = job.prompt.value("max_memory_tokens", bounds.max_tokens);
  bounds.max_lesson_tokens = job.prompt.value("max_lesson_tokens", bounds.max_lesson_tokens);
  if (Status s = memory::ValidateLessonBounds(bounds); !s.ok()) return s.WithContext("training.prompt");
  const int per_input = job.prompt.value("lessons_per_input", 4);
  const int max_shown = job.prompt.value("max_failures_shown", 20);

  std::map<std::string, std::vector<DatasetRow>> by_category;
  for (const DatasetRow& r : *in.rows) {
    if (IsFailure(r)) by_category[CategoryOf(r)].push_back(r);
  }
  if (by_category.empty()) {
    return Status::InvalidArgument("reflection: the dataset has no failures of this cycle to learn from (train rows "
                                   "the worker answered wrongly or a person corrected)");
  }
  std::vector<std::pair<std::string, std::vector<DatasetRow>>> groups(by_category.begin(), by_category.end());
  std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  if (groups.size() > kMaxCriticCategories) {
    in.note(fmt::format("{} categories failed; the critic reads the {} largest", groups.size(), kMaxCriticCategories));
    groups.resize(kMaxCriticCategories);
  }

  std::vector<memory::Lesson> incoming;
  std::vector<std::string> refused;
  json categories = json::array();
  const int64_t now_ms = WallMs();
  for (const auto& [category, failures] : groups) {
    if (in.progress && in.progress->cancel.load()) return Status::Unavailable("training cancelled");
    std::vector<std::string> shown_ids;
    for (int i = 0; i < std::min<int>(max_shown, static_cast<int>(failures.size())); ++i) {
      if (!failures[static_cast<std::size_t>(i)].task_id.empty()) shown_ids.push_back(failures[static_cast<std::size_t>(i)].task_id);
    }
    auto reply = critic->Complete({{"system", kCriticSystem}, {"user", CriticRequest(category, failures, max_shown)}}, tag);
    if (!reply.ok()) {
      refused.push_back(category + ": the critic did not answer: " + reply.status().message());
      continue;
    }
    auto parsed = memory::ParseCriticReply(reply->text, category, bounds, now_ms, shown_ids);
    if (!parsed.ok()) {
      refused.push_back(category + ": " + parsed.status().message());
      continue;
    }
    for (const auto& r : parsed->refused) refused.push_back(category + ": \"" + r.text + "\": " + r.reason);
    categories.push_back({{"category", category}, {"failures", failures.size()}, {"lessons", parsed->lessons.size()},
                          {"refused", parsed->refused.size()}});
    in.note(fmt::format("critic on {} ({} failures): {} lessons, {} refused", category, failures.size(),
                        parsed->lessons.size(), parsed->refused.size()));
    incoming.insert(incoming.end(), parsed->lessons.begin(), parsed->lessons.end());
  }
  for (const auto& r : refused) in.note("refused: " + r);
  if (incoming.empty()) {
    return Status::FailedPrecondition(
        fmt::format("reflection: the critic {} gave no usable lesson ({} refused{}{})", critic_name, refused.size(),
                    refused.empty() ? "" : ", e.g. ", refused.empty() ? "" : refused.front()));
  }

  memory::LessonMemory existing;
  if (base.lessons) {
    auto m = memory::ReadPinnedArtifact<memory::LessonMemory>("the lessons of " + job.base_version, base.lessons->uri,
                                                             base.lessons->sha256);
    if (!m.ok()) return m.status();
    existing = std::move(*m);
  }
  memory::MergeResult merged = memory::MergeLessons(existing.lessons, incoming, bounds);
  for (const auto& r : merged.reasons) in.note("memory: " + r);
  memory::LessonMemory next;
  next.lessons = std::move(merged.lessons);
  next.provenance = {{"cycle", job.cycle_id},  {"version", job.version}, {"base_version", job.base_version},
                     {"critic", critic_name},  {"added", merged.added},  {"merged", merged.merged},
                     {"dropped", merged.dropped}, {"refused", refused.size()}};
  auto written = memory::WriteJsonArtifact(job.memory_dir, "lessons", next.ToJson());
  if (!written.ok()) return written.status();
  in.note(fmt::format("lesson memory {}: {} lessons ({} added, {} merged into one already there, {} dropped)",
                      written->uri, next.lessons.size(), merged.added, merged.merged, merged.dropped));

  std::vector<models::Example> failure_rows;
  for (const auto& [category, failures] : groups) {
    for (const auto& r : failures) failure_rows.push_back({r.text, r.label});
  }
  int labels_added = 0;
  llm::PromptModel candidate = base;
  candidate.labels = LabelsWithData(base.labels, base.task, failure_rows, &labels_added);
  candidate.lessons = llm::LessonMemoryRef{written->uri, written->sha256, per_input};
  candidate.origin = fmt::format("{}: {} lessons by critic {} ({} new), {} per input", job.version,
                                 next.lessons.size(), critic_name, merged.added, per_input);
  if (labels_added > 0) in.note(fmt::format("{} labels the failures show added to the label list", labels_added));

  auto base_assets = llm::LoadPromptAssets(base);
  if (!base_assets.ok()) return base_assets.status().WithContext("the incumbent " + job.base_version);
  auto assets = llm::LoadPromptAssets(candidate);
  if (!assets.ok()) return assets.status().WithContext("the candidate");
  const std::vector<models::Example> rows = ScoredRows(in);
  const CandidateScore before = ScoreModel(in, base, *base_assets, rows, tag);
  const CandidateScore after = ScoreModel(in, candidate, *assets, rows, tag);
  if (in.progress && in.progress->cancel.load()) return Status::Unavailable("training cancelled");
  in.note(fmt::format("validation: incumbent {:.3f}, with the lessons {:.3f} on {} rows", before.score, after.score,
                      after.rows));
  candidate.origin += fmt::format(" (validation {:.3f}, baseline {:.3f})", after.score, before.score);
  if (Status s = llm::SavePromptModel(job.output_path, candidate); !s.ok()) return s;

  json metrics = StrategyMetrics(in, "reflection", before, after, candidate.origin, started, critic, critic_name);
  metrics["lessons"] = {{"uri", written->uri},       {"sha256", written->sha256}, {"count", next.lessons.size()},
                        {"added", merged.added},     {"merged", merged.merged},   {"dropped", merged.dropped},
                        {"refused", refused.size()}, {"categories", categories}, {"labels_added", labels_added}};
  metrics["parameters"] = {{"lessons", next.lessons.size()}};
  in.note("result " + metrics.dump());
  return metrics;
}

}  // namespace kaizen::agents
