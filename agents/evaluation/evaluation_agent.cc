#include "agents/evaluation/evaluation_agent.h"

#include <spdlog/spdlog.h>

#include "agents/evaluation/model_comparison.h"
#include "agents/evaluation/model_predictor.h"
#include "agents/evaluation/validation_set.h"
#include "agents/models/llm/usage_message.h"
#include "agents/models/text_classifier.h"
#include "agents/sdk/artifacts.h"

namespace kaizen::agents {

using sdk::Envelope;

EvaluationAgent::~EvaluationAgent() {
  if (job_ && job_->result.valid()) job_->result.wait();
  for (auto& f : abandoned_) f.wait();
}

Status EvaluationAgent::OnStart() {
  Handle(Envelope::kEvalRequest, [this](const Envelope& e) { OnEvalRequest(e); });
  Every(50, [this] { Poll(); });
  spdlog::info("evaluation agent {} ready; confidence {}", id(), settings().value("confidence", 0.95));
  return Status::OK();
}

void EvaluationAgent::OnDrain() {
  draining_ = true;
  if (!job_) FinishDrain();  // otherwise Poll finishes the drain after the reply
}

void EvaluationAgent::OnEvalRequest(const Envelope& request) {
  const v1::EvalRequest& req = request.eval_request();
  std::string key = request.cycle_id() + "|" + req.candidate() + "|" + req.incumbent() + "|" + req.dataset_id();
  if (job_ && job_->key == key) {
    spdlog::info("cycle {}: evaluation of {} already running; will answer the re-sent request", request.cycle_id(),
                 req.candidate());
    job_->request = request;
    return;
  }
  if (done_result_ && done_key_ == key) {
    spdlog::info("cycle {}: evaluation of {} already done; answering again", request.cycle_id(), req.candidate());
    Answer(request, *done_result_);
    return;
  }
  if (job_) {
    // One evaluation at a time; the runtime runs one cycle at a time, so this
    // is an older cycle's job that no one waits for any more.
    spdlog::warn("cycle {}: a new evaluation request while {} runs; the old result will be dropped",
                 request.cycle_id(), job_->key);
  }
  if (draining_) {
    Envelope err;
    err.mutable_error()->set_code(v1::Error::UNAVAILABLE);
    err.mutable_error()->set_message("evaluation agent " + id() + " is draining");
    Reply(request, std::move(err));
    return;
  }
  double confidence = settings().value("confidence", 0.95);
  spdlog::info("cycle {}: evaluating candidate {} ({}) against incumbent {} ({}) on dataset {}", request.cycle_id(),
               req.candidate(), req.candidate_uri(), req.incumbent(), req.incumbent_uri(), req.dataset_uri());
  auto progress = std::make_shared<Progress>();
  if (job_) abandoned_.push_back(std::move(job_->result));
  job_.emplace();
  job_->key = key;
  job_->request = request;
  job_->progress = progress;
  nlohmann::json spec = settings().value("cluster", nlohmann::json::object()).value("spec", nlohmann::json::object());
  job_->result = std::async(std::launch::async, &EvaluationAgent::Evaluate, req, confidence, progress, std::move(spec));
  SetState(v1::AGENT_STATE_BUSY, "evaluating " + req.candidate() + " vs " + req.incumbent());
}

void EvaluationAgent::Poll() {
  std::erase_if(abandoned_, [](auto& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  if (!job_) return;
  if (job_->result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    int64_t total = job_->progress->total.load();
    if (total > 0) {
      const auto& req = job_->request.eval_request();
      int64_t done = job_->progress->done.load();
      // Coarse steps: each state change is journaled.
      int64_t step = std::max<int64_t>(total / 4, 1);
      SetState(v1::AGENT_STATE_BUSY, "evaluating " + req.candidate() + " vs " + req.incumbent() + ": " +
                                         std::to_string(done / step * step) + "/" + std::to_string(total) + " rows");
    }
    return;
  }
  Result<v1::EvalReport> result = job_->result.get();
  Envelope request = std::move(job_->request);
  done_key_ = job_->key;
  job_.reset();
  done_result_ = result;
  Answer(request, result);
  SetState(v1::AGENT_STATE_IDLE, result.ok() ? "last: " + result->verdict() : "last: " + result.status().message());
  if (draining_) FinishDrain();
}

void EvaluationAgent::Answer(const Envelope& request, const Result<v1::EvalReport>& report) {
  Envelope reply;
  if (report.ok()) {
    spdlog::info("cycle {}: {}", request.cycle_id(), report->verdict());
    *reply.mutable_eval_report() = *report;
  } else {
    spdlog::warn("cycle {}: evaluation failed: {}", request.cycle_id(), report.status().message());
    bool bad = report.status().code() == Status::Code::kInvalidArgument ||
               report.status().code() == Status::Code::kNotFound;
    reply.mutable_error()->set_code(bad ? v1::Error::BAD_REQUEST : v1::Error::INTERNAL);
    reply.mutable_error()->set_message(report.status().message());
  }
  Reply(request, std::move(reply));
}

Result<v1::EvalReport> EvaluationAgent::Evaluate(v1::EvalRequest req, double confidence,
                                                 std::shared_ptr<Progress> progress, nlohmann::json spec) {
  auto load = [&spec](const std::string& what, const std::string& uri) -> Result<std::unique_ptr<ModelPredictor>> {
    auto path = sdk::PathFromUri(uri);
    if (!path.ok()) return path.status();
    return LoadModelPredictor(what, *path, spec);
  };
  // With a refit, the verdict is the holdout twin's (it never saw the validation rows).
  const bool refit = !req.holdout_uri().empty();
  auto candidate = refit ? load("holdout model of candidate " + req.candidate(), req.holdout_uri())
                         : load("candidate " + req.candidate(), req.candidate_uri());
  if (!candidate.ok()) return candidate.status();
  auto incumbent = load("incumbent " + req.incumbent(), req.incumbent_uri());
  if (!incumbent.ok()) return incumbent.status();
  auto dataset_path = sdk::PathFromUri(req.dataset_uri());
  if (!dataset_path.ok()) return dataset_path.status();
  auto set = LoadValidationRows(*dataset_path);
  if (!set.ok()) return set.status();
  if (set->rows.empty()) {
    return Status::InvalidArgument("dataset " + req.dataset_id() + " (" + *dataset_path +
                                   ") has no rows with split \"validation\" to evaluate on (" +
                                   std::to_string(set->lines) + " lines, " + std::to_string(set->skipped) +
                                   " unreadable)");
  }
  progress->total = (refit ? 3 : 2) * static_cast<int64_t>(set->rows.size());
  std::vector<std::string> inputs, truths;
  for (const auto& row : set->rows) inputs.push_back(row.text), truths.push_back(row.label);
  std::vector<std::string> by_candidate = (*candidate)->PredictAll(inputs, &progress->done);
  std::vector<std::string> by_incumbent = (*incumbent)->PredictAll(inputs, &progress->done);
  models::llm::Usage llm;  // every LLM call this evaluation made, for the cycle's accounting
  if ((*candidate)->free_text() || (*incumbent)->free_text()) {
    // Free text: a judged-right answer counts as the reference, any other as a miss.
    auto grader = Grader::Create(spec);
    if (!grader.ok()) return grader.status();
    for (auto* answers : {&by_candidate, &by_incumbent}) {
      auto right = (*grader)->GradeAll(inputs, truths, *answers);
      for (std::size_t i = 0; i < right.size(); ++i) (*answers)[i] = right[i] ? truths[i] : "(judged wrong) " + (*answers)[i];
    }
    spdlog::info("evaluation: judge usage {}", (*grader)->usage().ToJson().dump());
    llm += (*grader)->usage();
  }
  for (const auto* p : {candidate->get(), incumbent->get()}) {
    if (p->usage().calls + p->usage().failures > 0) spdlog::info("evaluation: llm usage {}", p->usage().ToJson().dump());
    llm += p->usage();
  }
  std::vector<PairedPrediction> items;
  items.reserve(set->rows.size());
  for (std::size_t i = 0; i < set->rows.size(); ++i) {
    items.push_back({set->rows[i].label, set->rows[i].domain, by_candidate[i], by_incumbent[i]});
  }
  ComparisonOptions options;
  options.confidence = confidence;
  v1::EvalReport report = CompareModels(items, req.acceptance(), options);
  if (refit) {
    auto deployed = load("candidate " + req.candidate(), req.candidate_uri());
    if (!deployed.ok()) return deployed.status();
    const std::vector<std::string> by_refit = (*deployed)->PredictAll(inputs, &progress->done);
    std::size_t right = 0;
    for (std::size_t i = 0; i < by_refit.size(); ++i) right += by_refit[i] == truths[i];
    const double seen = static_cast<double>(right) / static_cast<double>(std::max<std::size_t>(1, by_refit.size()));
    report.set_refit(true);
    report.set_refit_accuracy_seen(seen);
    ApplyRefitCheck(report);
  }
  if (llm.calls + llm.failures > 0) *report.mutable_llm_usage() = models::llm::UsageMessage(llm);
  return report;
}

}  // namespace kaizen::agents
