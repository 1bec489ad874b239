#include "agents/evaluation/evaluation_agent.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "agents/evaluation/constitution_gate.h"
#include "agents/evaluation/model_comparison.h"
#include "agents/evaluation/model_predictor.h"
#include "agents/evaluation/validation_set.h"
#include "agents/models/llm/usage_message.h"
#include "agents/models/text_classifier.h"
#include "agents/sdk/artifacts.h"
#include "config/manifest_schema.h"

namespace kaizen::agents {

using sdk::Envelope;

EvaluationAgent::~EvaluationAgent() {
  if (job_ && job_->result.valid()) job_->result.wait();
  for (auto& f : abandoned_) f.wait();
}

Status EvaluationAgent::OnStart() {
  jobs_ = std::make_unique<sdk::StageJobs>(
      sdk::StageJobs::Stage{"evaluation", [this](const Envelope& e) { return StartEvaluation(e); },
                            [this](sdk::StageJobs::StopReason why) { return Stop(why); }, nullptr},
      StagePort());
  Handle(Envelope::kEvalRequest, [this](const Envelope& e) { jobs_->OnRequest(e); });
  Every(50, [this] { Poll(); });
  confidence_ = config::SettingOrDefault(settings(), "spec.evaluation", "confidence").get<double>();
  constitution_ = settings().value("constitution", nlohmann::json());
  spdlog::info("evaluation agent {} ready; confidence {}; constitution {}", id(), confidence_,
               constitution_.is_object() ? constitution_.value("name", "") : "none");
  return Status::OK();
}

void EvaluationAgent::OnDrain() { jobs_->Drain(); }

Status EvaluationAgent::Stop(sdk::StageJobs::StopReason why) {
  if (why == sdk::StageJobs::StopReason::kDraining) {
    // Nearly done as a rule, and cheaper to answer than to start over.
    return Status::FailedPrecondition("finishing the evaluation of " + job_->request.candidate() + " first");
  }
  // An older cycle's job that no one waits for any more: it runs out on its thread, unanswered.
  abandoned_.push_back(std::move(job_->result));
  job_.reset();
  return Status::OK();
}

Status EvaluationAgent::StartEvaluation(const Envelope& request) {
  const v1::EvalRequest& req = request.eval_request();
  spdlog::info("cycle {}: evaluating candidate {} ({}) against incumbent {} ({}) on dataset {}", request.cycle_id(),
               req.candidate(), req.candidate_uri(), req.incumbent(), req.incumbent_uri(), req.dataset_uri());
  job_.emplace();
  job_->request = req;
  job_->progress = std::make_shared<Progress>();
  nlohmann::json spec = settings().value("cluster", nlohmann::json::object()).value("spec", nlohmann::json::object());
  job_->result =
      std::async(std::launch::async, &EvaluationAgent::Evaluate, req, confidence_, job_->progress, std::move(spec),
                 constitution_);
  jobs_->Progress("evaluating " + req.candidate() + " vs " + req.incumbent());
  return Status::OK();
}

void EvaluationAgent::Poll() {
  std::erase_if(abandoned_, [](auto& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  if (!job_) return;
  const v1::EvalRequest& req = job_->request;
  if (job_->result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    int64_t total = job_->progress->total.load();
    if (total > 0) {
      int64_t done = job_->progress->done.load();
      // Coarse steps: each state change is journaled.
      int64_t step = std::max<int64_t>(total / 4, 1);
      jobs_->Progress("evaluating " + req.candidate() + " vs " + req.incumbent() + ": " +
                      std::to_string(done / step * step) + "/" + std::to_string(total) + " rows");
    }
    return;
  }
  Result<v1::EvalReport> report = job_->result.get();
  const std::string cycle = jobs_->request().cycle_id();
  job_.reset();
  if (!report.ok()) {
    jobs_->Fail(report.status());
    return;
  }
  spdlog::info("cycle {}: {}", cycle, report->verdict());
  Envelope reply;
  *reply.mutable_eval_report() = *report;
  const std::string detail = "last: " + report->verdict();
  jobs_->Complete(std::move(reply), detail);
}

Result<v1::EvalReport> EvaluationAgent::Evaluate(v1::EvalRequest req, double confidence,
                                                 std::shared_ptr<Progress> progress, nlohmann::json spec,
                                                 nlohmann::json constitution) {
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
  // The constitution is read before any model runs: a file broken since
  // `kaizen validate` fails the evaluation, it never skips the gate.
  std::vector<config::ConstitutionCase> cases;
  if (constitution.is_object()) {
    config::ConstitutionLoad loaded = config::LoadConstitutionFile(constitution.value("path", ""));
    if (!loaded.ok()) {
      return Status::FailedPrecondition("constitution '" + constitution.value("name", "") + "': " +
                                        loaded.errors.front().ToString());
    }
    cases = std::move(loaded.cases);
  }
  progress->total = (refit ? 3 : 2) * static_cast<int64_t>(set->rows.size()) + 2 * static_cast<int64_t>(cases.size());
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
  std::vector<PairedPrediction> items;
  items.reserve(set->rows.size());
  for (std::size_t i = 0; i < set->rows.size(); ++i) {
    items.push_back({set->rows[i].label, set->rows[i].domain, by_candidate[i], by_incumbent[i]});
  }
  ComparisonOptions options;
  options.confidence = confidence;
  v1::EvalReport report = CompareModels(items, req.acceptance(), options);
  // The constitution runs on the model that would serve: with a refit, the refit.
  ModelPredictor* serving_candidate = candidate->get();
  std::unique_ptr<ModelPredictor> refitted;
  if (refit) {
    auto deployed = load("candidate " + req.candidate(), req.candidate_uri());
    if (!deployed.ok()) return deployed.status();
    refitted = std::move(*deployed);
    serving_candidate = refitted.get();
    const std::vector<std::string> by_refit = refitted->PredictAll(inputs, &progress->done);
    std::size_t right = 0;
    for (std::size_t i = 0; i < by_refit.size(); ++i) right += by_refit[i] == truths[i];
    const double seen = static_cast<double>(right) / static_cast<double>(std::max<std::size_t>(1, by_refit.size()));
    report.set_refit(true);
    report.set_refit_accuracy_seen(seen);
    ApplyRefitCheck(report);
  }
  if (constitution.is_object()) {
    models::llm::Usage judged;  // the constitution judge's calls, counted with the evaluation's
    auto gate = RunConstitution(ConstitutionOptions::FromJson(constitution), cases, **incumbent, *serving_candidate,
                                spec, &progress->done, &judged);
    if (judged.calls + judged.failures > 0) spdlog::info("evaluation: constitution judge usage {}", judged.ToJson().dump());
    if (!gate.ok()) return gate.status();
    llm += judged;
    spdlog::info("evaluation: {}", gate->summary());
    ApplyConstitution(std::move(*gate), report);
  }
  // Counted last: the constitution's calls are the models' too.
  for (const auto* p : {candidate->get(), incumbent->get(), refitted.get()}) {
    if (!p) continue;
    if (p->usage().calls + p->usage().failures > 0) {
      spdlog::info("evaluation: llm usage {}", p->usage().ToJson().dump());
    }
    llm += p->usage();
  }
  if (llm.calls + llm.failures > 0) *report.mutable_llm_usage() = models::llm::UsageMessage(llm);
  return report;
}

}  // namespace kaizen::agents
