#include "agents/training/training_agent.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "agents/models/llm/usage_message.h"
#include "agents/sdk/artifacts.h"
#include "agents/training/slurm_trainer_attempt.h"
#include "runtime/base/clock.h"

namespace kaizen::agents {

using sdk::Envelope;
namespace {

using json = nlohmann::json;
constexpr int64_t kPollMs = 100;

}  // namespace

Status TrainingAgent::OnStart() {
  settings_ = TrainingSettings::FromAgentSettings(settings());
  if (settings_.backend == TrainingBackend::kSlurm) {
    if (Status s = CancelLeftoverTrainingJobs(settings_); !s.ok()) spdlog::warn("{}", s.ToString());
  }
  jobs_ = std::make_unique<sdk::StageJobs>(
      sdk::StageJobs::Stage{"training", [this](const Envelope& e) { return StartRun(e); },
                            [this](sdk::StageJobs::StopReason) {
                              run_.reset();  // the trainer stops what runs
                              return Status::OK();
                            },
                            nullptr},
      StagePort());
  Handle(Envelope::kTrainRequest, [this](const Envelope& e) { jobs_->OnRequest(e); });
  Every(kPollMs, [this] { Poll(); });
  spdlog::info("training agent {} ready (backend {})", id(), TrainingBackendName(settings_.backend));
  return Status::OK();
}

Status TrainingAgent::StartRun(const Envelope& request) {
  const auto& req = request.train_request();
  if (req.output_version().empty()) return Status::InvalidArgument("TrainRequest has no output_version");
  auto base = sdk::PathFromUri(req.base_model_uri());
  if (req.base_model_uri().empty() || !base.ok()) {
    return Status::InvalidArgument("base model " + req.base_model() + " has no usable URI '" + req.base_model_uri() +
                                   "'");
  }
  auto dataset = sdk::PathFromUri(req.dataset_uri());
  if (req.dataset_uri().empty() || !dataset.ok()) {
    return Status::InvalidArgument("dataset " + req.dataset_id() + " has no usable URI '" + req.dataset_uri() + "'");
  }
  TrainJob job;
  job.cycle_id = request.cycle_id();
  job.base_version = req.base_model();
  job.base_path = *base;
  job.dataset_path = *dataset;
  job.output_version = req.output_version();
  job.log_path = state_dir() + "/logs/train-" + req.output_version() + ".log";
  job.state_dir = state_dir();
  job.strategy = req.strategy();
  if (req.has_max_prompt_change()) job.max_prompt_change = req.max_prompt_change();
  if (req.has_max_drift_from_anchor()) job.max_drift_from_anchor = req.max_drift_from_anchor();
  if (!req.anchor_uri().empty()) {
    auto anchor = sdk::PathFromUri(req.anchor_uri());
    if (!anchor.ok()) {
      return Status::InvalidArgument("anchor " + req.anchor_version() + " has no usable URI '" + req.anchor_uri() + "'");
    }
    job.anchor_version = req.anchor_version();
    job.anchor_path = *anchor;
  }
  auto run = std::make_unique<Run>();
  run->cycle_id = request.cycle_id();
  run->version = req.output_version();
  run->base_version = req.base_model();
  run->trainer = MakeTrainer(settings_, leftovers_);
  run->started_ms = MonoMs();
  if (Status s = run->trainer->Start(job); !s.ok()) return s;
  spdlog::info("cycle {}: training {} from {} on {} with backend {} (log {})", request.cycle_id(),
               req.output_version(), req.base_model(), req.dataset_id(), TrainingBackendName(settings_.backend),
               job.log_path);
  run_ = std::move(run);
  jobs_->Progress("training " + req.output_version() + ": starting");
  return Status::OK();
}

void TrainingAgent::OnProgress(const ProgressUpdate& u) {
  Envelope e;
  e.set_cycle_id(run_->cycle_id);
  auto* p = e.mutable_train_progress();
  p->set_fraction(u.fraction);
  if (u.loss) p->set_loss(*u.loss);
  p->set_message(u.message);
  for (const auto& t : u.tools) {
    auto* r = p->add_tools();
    r->set_name(t.name);
    r->set_spec_sha256(t.spec_sha256);
    r->set_uri(t.uri);
    r->set_sha256(t.sha256);
    r->set_accepted(t.accepted);
    r->set_reason(t.reason);
  }
  if (u.llm_usage.is_object()) {  // a run that failed: what it spent, sent before its Error
    models::llm::Usage total;
    for (const auto& [who, each] : u.llm_usage.items()) total += models::llm::UsageFromJson(each);
    *p->mutable_llm_usage() = models::llm::UsageMessage(total);
  }
  if (Status s = Send("runtime", std::move(e)); !s.ok()) spdlog::warn("progress not sent: {}", s.ToString());
  std::string detail = fmt::format("training {}: {:.0f}%", run_->version, u.fraction * 100);
  if (!u.message.empty()) detail += ", " + u.message;
  if (u.loss) detail += fmt::format(", loss {:.2f}", *u.loss);
  jobs_->Progress(detail);
}

void TrainingAgent::Poll() {
  leftovers_.DropFinished();
  if (!run_) return;
  const TrainEvents events{[this](const ProgressUpdate& u) { OnProgress(u); },
                           [this](const std::string& detail) { jobs_->Progress(detail); }};
  switch (run_->trainer->Poll(events)) {
    case Trainer::State::kRunning:
      return;
    case Trainer::State::kSucceeded:
      Finish();
      return;
    case Trainer::State::kFailed: {
      Status why = run_->trainer->Failure();
      run_.reset();
      jobs_->Fail(why);
      return;
    }
  }
}

void TrainingAgent::Finish() {
  Run& r = *run_;
  auto fail = [this](const Status& why) {
    run_.reset();
    jobs_->Fail(why);
  };
  auto model = r.trainer->Collect();
  if (!model.ok()) return fail(model.status());
  auto art = sdk::StoreArtifactFile(state_dir(), "models", model->ext, model->path);
  if (!art.ok()) return fail(Status::Internal("storing the trained model failed: " + art.status().message()));
  json metrics = std::move(model->metrics);
  if (!model->holdout_path.empty()) {
    // Evaluation judges this one (it never saw the validation rows); the refit is deployed.
    auto holdout = sdk::StoreArtifactFile(state_dir(), "models", "kzm", model->holdout_path);
    if (!holdout.ok()) return fail(Status::Internal("storing the holdout model failed: " + holdout.status().message()));
    metrics["holdout"] = {{"uri", holdout->uri}, {"sha256", holdout->sha256}};
  }
  metrics["wall_seconds"] = static_cast<double>(MonoMs() - r.started_ms) / 1000.0;
  metrics["backend"] = TrainingBackendName(settings_.backend);
  if (r.trainer->attempts() > 1) metrics["attempts"] = r.trainer->attempts();
  Envelope reply;
  auto* ready = reply.mutable_model_ready();
  ready->set_version(r.version);
  ready->set_uri(art->uri);
  ready->set_sha256(art->sha256);
  ready->set_parent(r.base_version);
  ready->set_metrics_json(metrics.dump());
  // The prompt search reports its calls by who made them (worker, teacher, judge).
  if (metrics.contains("usage") && metrics["usage"].is_object()) {
    models::llm::Usage total;
    for (const auto& [who, u] : metrics["usage"].items()) total += models::llm::UsageFromJson(u);
    *ready->mutable_llm_usage() = models::llm::UsageMessage(total);
  }
  spdlog::info("cycle {}: model {} ready at {}: {}", r.cycle_id, r.version, art->uri, metrics.dump());
  const std::string detail = "trained " + r.version;
  run_.reset();
  jobs_->Complete(std::move(reply), detail);
}

}  // namespace kaizen::agents
