#include "agents/training/tool_training.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <spdlog/fmt/fmt.h>

#include "agents/models/llm/prompt_tools.h"
#include "agents/training/tool_creation.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
namespace llm = models::llm;

struct ToolScore {
  double score = 0;
  int correct = 0, rows = 0, errors = 0, tool_calls = 0;
};

// `model` with `tools` on `rows`, `threads` calls at a time.
ToolScore ScoreWithTools(const ToolTrainingInputs& in, const llm::PromptModel& model, const llm::PromptTools& tools,
                         const std::vector<models::Example>& rows, const std::string& tag) {
  std::vector<std::string> answers(rows.size());
  std::vector<int> calls(rows.size(), 0);
  std::atomic<int> errors{0};
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < rows.size(); i = next++) {
      if (in.progress && in.progress->cancel.load()) return;
      std::vector<llm::ToolCallTrace> trace;
      auto a = llm::AnswerWithTools(*in.worker, model, tools, rows[i].text, tag, nullptr, &trace);
      calls[i] = static_cast<int>(trace.size());
      if (a.ok()) {
        answers[i] = *a;
      } else {
        ++errors;
      }
    }
  };
  std::vector<std::thread> pool;
  const int n = std::max(1, std::min<int>(in.concurrency, static_cast<int>(rows.size())));
  for (int t = 0; t < n; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  ToolScore s;
  s.rows = static_cast<int>(rows.size());
  s.errors = errors.load();
  std::vector<std::string> inputs, refs;
  for (const auto& r : rows) inputs.push_back(r.text), refs.push_back(r.label);
  const std::vector<bool> right = in.grader ? in.grader->GradeAll(inputs, refs, answers) : std::vector<bool>{};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const bool ok = in.grader ? right.at(i) : answers[i] == rows[i].label;
    s.correct += ok ? 1 : 0;
    s.tool_calls += calls[i];
  }
  s.score = s.rows > 0 ? static_cast<double>(s.correct) / s.rows : 0;
  return s;
}

void ReportTool(const ToolTrainingInputs& in, const CreatedTool& t) {
  if (!in.progress) return;
  CreatedToolRecord r;
  r.name = t.artifact.spec.name;
  r.spec_sha256 = t.artifact.spec.ContentHash();
  r.uri = t.written.uri;
  r.sha256 = t.written.sha256;
  r.accepted = t.accepted();
  r.reason = t.artifact.reason;
  std::lock_guard<std::mutex> lock(in.progress->mu);
  in.progress->events.push_back({0.5, "tool " + r.name + " " + (r.accepted ? "accepted" : "rejected") + ": " + r.reason,
                                 {r}});
}

}  // namespace

Result<json> RunToolTraining(const ToolTrainingInputs& in) {
  const auto started = std::chrono::steady_clock::now();
  const PromptTrainJob& job = *in.job;
  if (!in.teacher) {
    return Status::InvalidArgument("tool_creation needs a teacher with backend openai to write the tool "
                                   "(training.prompt.teacher, else the first openai entry of spec.teachers)");
  }
  if (in.train->empty()) return Status::InvalidArgument("tool_creation: the dataset has no train rows (failures)");
  const std::string tag = "training:" + job.cycle_id;
  ToolCreationJob tj;
  tj.failures = *in.train;
  tj.max_failures_shown = job.prompt.value("max_failures_shown", 20);
  tj.tools_dir = job.tools_dir;
  tj.provenance = {{"cycle", job.cycle_id}, {"version", job.version}, {"teacher", in.teacher_name}};
  in.note(fmt::format("tool creation for {} from {}: {} failures shown to teacher {}", job.version, job.base_version,
                      std::min<std::size_t>(tj.failures.size(), static_cast<std::size_t>(tj.max_failures_shown)),
                      in.teacher_name));
  auto created = CreateTool(*in.teacher, tj, tag);
  if (!created.ok()) return created.status();
  ReportTool(in, *created);
  const tools::ToolSpec& spec = created->artifact.spec;
  in.note("tool " + spec.name + ": " + created->artifact.status + ", " + created->artifact.reason + " (" +
          created->written.uri + ")");
  if (!created->accepted()) {
    return Status::FailedPrecondition("the tool " + spec.name + " the teacher wrote failed its tests in the sandbox (" +
                                      created->artifact.reason +
                                      "); it is recorded as rejected and never offered to the worker");
  }

  llm::PromptModel candidate = *in.base;
  std::erase_if(candidate.tools, [&](const llm::ToolRef& t) { return t.name == spec.name; });  // a new version replaces
  candidate.tools.push_back({spec.name, created->written.uri, created->written.sha256});
  candidate.origin = fmt::format("{}: tool {} ({})", job.version, spec.name, created->artifact.reason);
  auto candidate_tools = llm::LoadPromptTools(candidate);
  if (!candidate_tools.ok()) return candidate_tools.status().WithContext("the candidate's tools");
  auto base_tools = llm::LoadPromptTools(*in.base);
  if (!base_tools.ok()) return base_tools.status().WithContext("the incumbent's tools");

  std::vector<models::Example> rows = *in.validation;
  if (static_cast<int>(rows.size()) > in.max_validation_rows) rows.resize(static_cast<std::size_t>(in.max_validation_rows));
  const ToolScore before = ScoreWithTools(in, *in.base, *base_tools, rows, tag);
  const ToolScore after = ScoreWithTools(in, candidate, *candidate_tools, rows, tag);
  if (in.progress && in.progress->cancel.load()) return Status::Unavailable("training cancelled");
  in.note(fmt::format("validation: incumbent {:.3f}, with the tool {:.3f} ({} tool calls on {} rows)", before.score,
                      after.score, after.tool_calls, after.rows));
  candidate.origin += fmt::format(" (validation {:.3f}, baseline {:.3f})", after.score, before.score);
  if (Status s = llm::SavePromptModel(job.output_path, candidate); !s.ok()) return s;

  const llm::Usage wu = in.worker->UsageFor(tag);
  const llm::Usage tu = in.teacher->UsageFor(tag);
  const llm::Usage gu = in.grader ? in.grader->usage() : llm::Usage{};
  return json{{"backend", "prompt"},
              {"strategy", "tool_creation"},
              {"baseline_score", before.score},
              {"candidate_score", after.score},
              {"validation_rows", after.rows},
              {"train_rows", in.train->size()},
              {"best", candidate.origin},
              {"tool",
               {{"name", spec.name},
                {"uri", created->written.uri},
                {"sha256", created->written.sha256},
                {"tests", created->artifact.reason},
                {"calls_on_validation", after.tool_calls}}},
              {"worker_calls", wu.calls},
              {"teacher_calls", tu.calls},
              {"teacher", in.teacher_name},
              {"usage", {{"worker", wu.ToJson()}, {"teacher", tu.ToJson()}, {"judge", gu.ToJson()}}},
              {"cost", wu.cost + tu.cost + gu.cost},
              {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()},
              {"parameters", {{"tools", candidate.tools.size()}}}};
}

}  // namespace kaizen::agents
