#include "agents/training/prompt_trainer.h"

#include <chrono>
#include <fstream>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "agents/datagen/carried_labels.h"
#include "agents/evaluation/model_predictor.h"
#include "agents/models/jsonl_dataset.h"
#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/prompt_model.h"
#include "agents/models/llm/prompt_tools.h"
#include "agents/training/example_training.h"
#include "agents/training/reflection_training.h"
#include "agents/training/strategy_training.h"
#include "agents/training/tool_training.h"
#include "runtime/safety/prompt_change.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
namespace llm = models::llm;

// The teacher entry that rewrites instructions: training.prompt.teacher, else
// the first openai teacher; null when there is none.
Result<json> PickTeacher(const json& spec, const json& prompt) {
  const json teachers = spec.value("teachers", json::array());
  const std::string wanted = prompt.value("teacher", "");
  for (const auto& t : teachers) {
    if (!wanted.empty() && t.value("name", "") != wanted) continue;
    if (t.value("backend", "") == "openai") return t;
    if (!wanted.empty()) {
      return Status::InvalidArgument("training.prompt.teacher " + wanted + " has backend " +
                                     t.value("backend", "") + "; rewriting instructions needs backend openai");
    }
  }
  if (!wanted.empty()) {
    return Status::InvalidArgument("training.prompt.teacher " + wanted + " is not an entry of spec.teachers");
  }
  return json(nullptr);
}

// reflection's critic: spec.planning.critic, else null (the teacher is used).
Result<std::unique_ptr<llm::ChatClient>> MakeCritic(const json& spec) {
  const json planning = spec.value("planning", json::object());
  if (!planning.contains("critic")) return std::unique_ptr<llm::ChatClient>();
  auto cfg = llm::ChatConfigFromJson(planning["critic"], "spec.planning.critic");
  if (!cfg.ok()) return cfg.status();
  cfg->max_tokens = std::max(cfg->max_tokens, 1024);  // lessons, not one label
  auto c = llm::ChatClient::Create(*cfg);
  if (!c.ok()) return c.status().WithContext("spec.planning.critic");
  return std::move(*c);
}

llm::PromptModel ToModel(const llm::PromptModel& base, const PromptDraft& d) {
  llm::PromptModel m = base;
  m.system_prompt = d.instructions;
  m.examples = d.examples;
  m.labels = d.labels;
  m.origin = d.origin;
  return m;
}

// The prompt search (prompt_optimizer.h): candidates scored through the
// worker, the best written to job.output_path; its metrics.
Result<json> SearchPromptJob(const StrategyTrainingInputs& in, PromptSearchHooks hooks,
                             std::chrono::steady_clock::time_point started) {
  const PromptTrainJob& job = *in.job;
  const llm::PromptModel* base = in.base;
  const std::vector<models::Example>& train = *in.train;
  const std::vector<models::Example>& validation = *in.validation;
  llm::ChatClient& worker = *in.worker;
  llm::ChatClient* teacher = in.teacher;
  const std::string& teacher_name = in.teacher_name;
  PromptTrainProgress& progress = *in.progress;
  const auto& note = in.note;
  const std::string tag = "training:" + job.cycle_id;
  PromptSearchOptions o;
  o.rewrites = job.prompt.value("rewrites", 2);
  o.few_shot_sets = job.prompt.value("few_shot_sets", 2);
  o.shots = job.prompt.value("shots", 8);
  o.max_validation_rows = job.prompt.value("max_validation_rows", 200);
  o.max_failures_shown = job.prompt.value("max_failures_shown", 20);
  o.concurrency = in.concurrency;
  o.seed = std::hash<std::string>{}(job.cycle_id + "/" + job.version);

  // The incumbent's tools stay with every candidate prompt, and answer as they do when serving.
  auto base_tools = llm::LoadPromptAssets(*base);
  if (!base_tools.ok()) return base_tools.status().WithContext("the tools of " + job.base_version);
  hooks.classify = [&](const PromptDraft& d, const std::string& text) -> Result<std::string> {
    if (progress.cancel.load()) return Status::Unavailable("training cancelled");
    return llm::AnswerWithTools(worker, ToModel(*base, d), *base_tools, text, tag);
  };
  if (teacher) {
    hooks.rewrite = [&](const std::string& request) -> Result<std::string> {
      if (progress.cancel.load()) return Status::Unavailable("training cancelled");
      auto r = teacher->Complete({{"user", request}}, tag);
      if (!r.ok()) return r.status();
      return r->text;
    };
  }
  hooks.progress = [&](double fraction, const std::string& message, const json& values) {
    note(fmt::format("progress {:.4f} score={:.4f} best={:.4f} {}", fraction, values.value("score", 0.0),
                     values.value("best", 0.0), message));
    std::lock_guard<std::mutex> lock(progress.mu);
    progress.events.push_back({fraction, message, {}, nullptr});
  };

  // The bounds measure the prompt as the file would hold it (runtime/safety/prompt_change.h).
  const bool bounded = job.max_prompt_change || job.max_drift_from_anchor;
  safety::ChangeBounds bounds;
  bounds.max_prompt_change = job.max_prompt_change;
  bounds.max_drift_from_anchor = job.max_drift_from_anchor;
  const safety::PromptBase replaced{job.base_version, safety::PromptTextOf(base->ToJson())};
  std::optional<safety::PromptBase> anchor;
  if (job.max_drift_from_anchor && !job.anchor_path.empty()) {
    auto text = safety::ReadPromptText(job.anchor_path);
    if (!text.ok()) return text.status().WithContext("the anchor " + job.anchor_version);
    if (!*text) {
      return Status::InvalidArgument("the anchor " + job.anchor_version + " (" + job.anchor_path +
                                     ") is not a prompt model");
    }
    anchor = safety::PromptBase{job.anchor_version, **text};
  }
  auto measure = [&](const PromptDraft& d) {
    return safety::MeasurePromptChange(safety::PromptTextOf(ToModel(*base, d).ToJson()), replaced, anchor);
  };
  if (bounded) {
    hooks.out_of_bounds = [&](const PromptDraft& d) -> std::string {
      const Status s = safety::CheckPromptChange(bounds, measure(d), replaced, anchor);
      return s.ok() ? "" : s.message();
    };
    std::string limits;
    if (job.max_prompt_change) limits += fmt::format("at most {:.3g} of {}'s prompt changed", *job.max_prompt_change, job.base_version);
    if (anchor) {
      limits += fmt::format("{}at most {:.3g} from the anchor {}", limits.empty() ? "" : ", ", *job.max_drift_from_anchor,
                            anchor->version);
    }
    note("bounds: " + limits + "; candidates outside them are fitted or skipped");
  }

  PromptDraft draft;
  draft.instructions = base->system_prompt;
  draft.examples = base->examples;
  draft.labels = base->labels;
  draft.free_text = base->task == llm::TaskKind::kText;
  note(fmt::format("prompt search for {} from {}: {} train / {} validation rows, {} few-shot sets, {} rewrites by {}",
                   job.version, job.base_version, train.size(), validation.size(),
                   o.few_shot_sets, teacher ? o.rewrites : 0, teacher ? teacher_name : "no teacher"));
  auto found = SearchPrompt(draft, train, validation, o, hooks);
  if (!found.ok()) return found.status();
  if (progress.cancel.load()) return Status::Unavailable("training cancelled");
  for (const auto& n : found->notes) note("note: " + n);
  if (found->out_of_bounds > 0 && found->best_score.score <= found->baseline.score) {
    // The incumbent's prompt again would only fail evaluation; say why instead.
    return Status::FailedPrecondition(fmt::format(
        "no candidate prompt within the bounds beats the incumbent's ({:.3f}): {} were cut or skipped by them, e.g. {}",
        found->baseline.score, found->out_of_bounds, found->notes.empty() ? std::string("?") : found->notes.back()));
  }

  llm::PromptModel best = ToModel(*base, found->best);
  best.origin = fmt::format("{}: {} (validation {:.3f}, baseline {:.3f})", job.version, found->best.origin,
                            found->best_score.score, found->baseline.score);
  if (Status s = llm::SavePromptModel(job.output_path, best); !s.ok()) return s;

  json candidates = json::array();
  for (const auto& c : found->candidates) {
    candidates.push_back({{"origin", c.origin}, {"score", c.score}, {"correct", c.correct}, {"rows", c.rows},
                          {"errors", c.errors}});
  }
  const llm::Usage wu = worker.UsageFor(tag);
  const llm::Usage tu = teacher ? teacher->UsageFor(tag) : llm::Usage{};
  llm::Usage gu = in.grader ? in.grader->usage() : llm::Usage{};
  json metrics = {{"backend", "prompt"},
                  {"baseline_score", found->baseline.score},
                  {"candidate_score", found->best_score.score},
                  {"validation_rows", found->baseline.rows},
                  {"train_rows", train.size()},
                  {"best", found->best.origin},
                  {"candidates", candidates},
                  {"worker_calls", found->worker_calls},
                  {"teacher_calls", found->teacher_calls},
                  {"teacher", teacher_name},
                  {"usage", {{"worker", wu.ToJson()}, {"teacher", tu.ToJson()}, {"judge", gu.ToJson()}}},
                  {"cost", wu.cost + tu.cost + gu.cost},
                  {"notes", found->notes},
                  {"candidates_out_of_bounds", found->out_of_bounds},
                  {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()},
                  // The knobs this run used (checked against spec.planning.bounds.parameter_ranges).
                  {"parameters", {{"shots", best.examples.size()}, {"rewrites", teacher ? o.rewrites : 0}}}};
  if (bounded) {
    const safety::PromptChange c = measure(found->best);
    metrics["prompt_change"] = {{"change", c.change}, {"replaced", job.base_version}};
    if (c.drift) metrics["prompt_change"]["drift"] = *c.drift, metrics["prompt_change"]["anchor"] = job.anchor_version;
  }
  note("result " + metrics.dump());
  return metrics;
}

}  // namespace

Result<json> RunPromptTraining(const PromptTrainJob& job, PromptTrainProgress& progress) {
  const auto started = std::chrono::steady_clock::now();
  std::ofstream log(job.log_path, std::ios::app);
  auto note = [&](const std::string& line) {
    log << line << "\n";
    log.flush();
  };

  auto base = llm::LoadPromptModel(job.base_model_path);
  if (!base.ok()) {
    return Status::InvalidArgument("base model " + job.base_version + " is not a prompt model (the prompt backend " +
                                   "improves workers with skill backend openai): " + base.status().message());
  }
  auto train = models::LoadJsonlExamples(job.dataset_path, "train");
  if (!train.ok()) return train.status().WithContext("reading the dataset");
  auto validation = models::LoadJsonlExamples(job.dataset_path, "validation");
  if (!validation.ok()) return validation.status().WithContext("reading the dataset");

  const json skill = job.spec.value("worker", json::object()).value("skill", json::object());
  if (skill.value("backend", "") != "openai" || !skill.contains("openai")) {
    return Status::InvalidArgument(
        "training.backend prompt needs an LLM worker: spec.worker.skill.backend openai with an openai block");
  }
  auto worker_cfg = llm::ChatConfigFromJson(skill["openai"], "spec.worker.skill.openai");
  if (!worker_cfg.ok()) return worker_cfg.status();
  auto worker = llm::ChatClient::Create(*worker_cfg);
  if (!worker.ok()) return worker.status().WithContext("the worker's endpoint");

  auto teacher_entry = PickTeacher(job.spec, job.prompt);
  if (!teacher_entry.ok()) return teacher_entry.status();
  std::unique_ptr<llm::ChatClient> teacher;
  std::string teacher_name;
  if (teacher_entry->is_object()) {
    teacher_name = teacher_entry->value("name", "");
    auto cfg = llm::ChatConfigFromJson(teacher_entry->value("openai", json::object()),
                                       "spec.teachers[" + teacher_name + "].openai");
    if (!cfg.ok()) return cfg.status();
    cfg->cost_per_call = teacher_entry->value("cost_per_call", 0.0);
    cfg->max_tokens = std::max(cfg->max_tokens, 1024);  // a whole prompt, not one label
    auto c = llm::ChatClient::Create(*cfg);
    if (!c.ok()) return c.status().WithContext("teacher " + teacher_name);
    teacher = std::move(*c);
  }

  std::unique_ptr<Grader> grader;
  if (base->task == llm::TaskKind::kText) {
    auto g = Grader::Create(job.spec);
    if (!g.ok()) return g.status();
    grader = std::move(*g);
  }

  // Free text is graded as evaluation grades it (the judge, else exact match); labels by the search's default.
  PromptSearchHooks hooks;
  if (grader) {
    hooks.grade = [&](const models::Example& row, const std::string& answer) -> Result<double> {
      auto ok = grader->GradeAll({row.text}, {row.label}, {answer});
      return ok.at(0) ? 1.0 : 0.0;
    };
  }

  const std::string tag = "training:" + job.cycle_id;
  std::unique_ptr<llm::ChatClient> critic;  // reflection's own critic (spec.planning.critic); null: the teacher
  if (job.strategy == "reflection") {
    auto c = MakeCritic(job.spec);
    if (!c.ok()) return c.status();
    critic = std::move(*c);
  }
  // A run that fails after its calls were made reports them here: no ModelReady will.
  auto reported = [&](Result<json> r) -> Result<json> {
    if (r.ok()) return r;
    json spent = {{"worker", (*worker)->UsageFor(tag).ToJson()}};
    if (teacher) spent["teacher"] = teacher->UsageFor(tag).ToJson();
    if (critic) spent["critic"] = critic->UsageFor(tag).ToJson();
    if (grader) spent["judge"] = grader->usage().ToJson();
    std::lock_guard<std::mutex> lock(progress.mu);
    progress.events.push_back({0, "the LLM calls of the failed run", {}, std::move(spent)});
    return r;
  };

  StrategyTrainingInputs in;
  in.job = &job;
  in.base = &*base;
  in.train = &train->examples;
  in.validation = &validation->examples;
  in.worker = worker->get();
  in.teacher = teacher.get();
  in.teacher_name = teacher_name;
  in.critic = critic ? critic.get() : teacher.get();
  in.critic_name = critic ? "spec.planning.critic" : teacher_name;
  in.grader = grader.get();
  in.grade = hooks.grade;
  in.concurrency = worker_cfg->max_concurrency;
  in.max_validation_rows = job.prompt.value("max_validation_rows", 200);
  in.progress = &progress;
  in.note = note;
  if (job.strategy == "tool_creation" || job.strategy == "dynamic_examples" || job.strategy == "reflection") {
    auto rows = ReadDatasetJsonl(job.dataset_path);
    if (!rows.ok()) return reported(rows.status().WithContext("reading the dataset"));
    in.rows = &*rows;
    if (job.strategy == "dynamic_examples") return reported(RunExampleTraining(in));
    if (job.strategy == "reflection") return reported(RunReflectionTraining(in));
    return reported(RunToolTraining(in));
  }
  return reported(SearchPromptJob(in, hooks, started));
}

}  // namespace kaizen::agents
