#include "agents/training/training_agent.h"

#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "agents/models/llm/usage_message.h"
#include "agents/sdk/artifacts.h"
#include "agents/training/command_trainer.h"
#include "agents/training/progress_line.h"
#include "agents/training/prompt_trainer.h"
#include "agents/training/trainer_process.h"
#include "runtime/base/clock.h"
#include "runtime/base/ids.h"

namespace kaizen::agents {

using sdk::Envelope;
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr int64_t kPollMs = 100;
constexpr std::size_t kTailLines = 5;

Result<std::string> SelfExe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return Status::IOError("cannot find the kaizen executable (/proc/self/exe): " + ec.message());
  return p.string();
}

// A line of our own in the run's log, before the child writes there.
void LogNote(const std::string& log_path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(fs::path(log_path).parent_path(), ec);
  std::ofstream(log_path, std::ios::app) << "# kaizen: " << text << "\n";
}

}  // namespace

struct TrainingAgent::Run {
  Envelope request;
  std::string key;
  std::string backend;
  std::unique_ptr<TrainerProcess> process;
  uint64_t timer = 0;
  std::string log_path;
  std::string base, dataset;  // local paths of the request's base model and data set
  int attempt = 1;            // trainer processes started for this request
  std::string output_tmp;  // builtin, prompt: the model file written
  std::string holdout_tmp;  // builtin with refit: the model trained without the validation rows
  CommandJob job;          // command: its work dir and split files
  json result;             // the child's last "result" line
  json last_progress;      // the last progress line's numbers
  // prompt: the search on its thread, and what it reports.
  std::shared_ptr<PromptTrainProgress> prompt_progress;
  std::future<Result<json>> prompt_result;
  int64_t started_ms = 0, deadline_ms = 0;
};

TrainingAgent::TrainingAgent() = default;
TrainingAgent::~TrainingAgent() {
  StopRun();  // a child is killed; a prompt search is cancelled
  for (auto& f : abandoned_) f.wait();
}

void TrainingAgent::StopRun() {
  if (!run_) return;
  if (run_->prompt_progress) {
    run_->prompt_progress->cancel = true;
    if (run_->prompt_result.valid()) abandoned_.push_back(std::move(run_->prompt_result));
  }
  Cancel(run_->timer);
  run_.reset();  // the TrainerProcess kills its child
}

Status TrainingAgent::OnStart() {
  Handle(Envelope::kTrainRequest, [this](const Envelope& e) { OnTrainRequest(e); });
  spdlog::info("training agent {} ready (backend {})", id(), settings().value("backend", "builtin"));
  return Status::OK();
}

void TrainingAgent::OnDrain() {
  // A run is not worth finishing on the way out: the runtime re-sends the
  // request to the restarted agent, which trains again from scratch.
  if (run_) {
    spdlog::warn("draining: stopping the training run for {}", run_->key);
    StopRun();
  }
  FinishDrain();
}

void TrainingAgent::ReplyError(const Envelope& request, v1::Error::Code code, const std::string& message) {
  Envelope err;
  err.mutable_error()->set_code(code);
  err.mutable_error()->set_message(message);
  Reply(request, std::move(err));
}

void TrainingAgent::OnTrainRequest(const Envelope& request) {
  const auto& req = request.train_request();
  const std::string key = request.cycle_id() + "/" + req.output_version();
  if (auto it = answered_.find(key); it != answered_.end()) {
    spdlog::info("cycle {}: {} was trained already; sending the same answer", request.cycle_id(), req.output_version());
    Reply(request, it->second);
    return;
  }
  if (run_ && run_->key == key) {
    spdlog::info("cycle {}: training {} is already running; duplicate ignored", request.cycle_id(),
                 req.output_version());
    run_->request = request;
    return;
  }
  if (run_) {
    // One cycle at a time: a new request means the runtime gave up on the old one.
    spdlog::warn("training run {} superseded by {}", run_->key, key);
    StopRun();
  }
  std::erase_if(abandoned_,
                [](auto& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });

  const std::string backend = settings().value("backend", "builtin");
  if (backend != "builtin" && backend != "command" && backend != "prompt") {
    ReplyError(request, v1::Error::BAD_REQUEST, "training backend " + backend + " is not available yet");
    return;
  }
  if (req.output_version().empty()) {
    ReplyError(request, v1::Error::BAD_REQUEST, "TrainRequest has no output_version");
    return;
  }
  auto base = sdk::PathFromUri(req.base_model_uri());
  auto dataset = sdk::PathFromUri(req.dataset_uri());
  if (req.base_model_uri().empty() || !base.ok()) {
    ReplyError(request, v1::Error::BAD_REQUEST,
               "base model " + req.base_model() + " has no usable URI '" + req.base_model_uri() + "'");
    return;
  }
  if (req.dataset_uri().empty() || !dataset.ok()) {
    ReplyError(request, v1::Error::BAD_REQUEST,
               "dataset " + req.dataset_id() + " has no usable URI '" + req.dataset_uri() + "'");
    return;
  }

  auto run = std::make_unique<Run>();
  run->request = request;
  run->key = key;
  run->backend = backend;
  run->log_path = state_dir() + "/logs/train-" + req.output_version() + ".log";
  run->base = *base;
  run->dataset = *dataset;
  Status started = backend == "command"  ? StartCommand(*run, *base, *dataset)
                   : backend == "prompt" ? StartPrompt(*run, *base, *dataset)
                                         : StartBuiltin(*run, *base, *dataset);
  if (!started.ok()) {
    spdlog::error("cycle {}: {}", request.cycle_id(), started.message());
    ReplyError(request,
               started.code() == Status::Code::kInvalidArgument || started.code() == Status::Code::kNotFound
                   ? v1::Error::BAD_REQUEST
                   : v1::Error::INTERNAL,
               started.message());
    return;
  }
  spdlog::info("cycle {}: training {} from {} on {} with backend {} ({}, log {})", request.cycle_id(),
               req.output_version(), req.base_model(), req.dataset_id(), backend,
               run->process ? "pid " + std::to_string(run->process->pid()) : std::string("a thread"), run->log_path);
  SetState(v1::AGENT_STATE_BUSY, "training " + req.output_version() + ": starting");
  run_ = std::move(run);
  run_->timer = Every(kPollMs, [this] { Poll(); });
}

Status TrainingAgent::StartBuiltin(Run& run, const std::string& base, const std::string& dataset) {
  const auto& req = run.request.train_request();
  auto exe = SelfExe();
  if (!exe.ok()) return exe.status();
  const std::string tmp = state_dir() + "/artifacts/tmp";
  std::error_code ec;
  fs::create_directories(tmp, ec);
  run.output_tmp = tmp + "/model-" + req.output_version() + "-" + NewId() + ".kzm";
  std::vector<std::string> argv = {*exe,      "train-model", "--base",    base,
                                   "--dataset", dataset,     "--version", req.output_version(),
                                   "--output",  run.output_tmp, "--epochs", std::to_string(settings().value("epochs", 5)),
                                   "--replay-fraction", fmt::format("{}", settings().value("replay_fraction", 0.5))};
  if (settings().value("refit", true)) {
    run.holdout_tmp = tmp + "/model-" + req.output_version() + "-holdout-" + NewId() + ".kzm";
    argv.insert(argv.end(), {"--holdout-output", run.holdout_tmp});
  }
  // Replay source: the worker's original training data (spec.worker.skill.train).
  const json spec = settings().value("cluster", json::object()).value("spec", json::object());
  const json train = spec.value("worker", json::object()).value("skill", json::object()).value("train", json::object());
  const std::string replay_dataset = train.value("dataset", "");
  const json data = spec.value("data", json::object());
  if (!replay_dataset.empty() && data.contains(replay_dataset)) {
    argv.insert(argv.end(), {"--replay-data", data[replay_dataset].value("path", ""), "--replay-split",
                             train.value("split", "train")});
    auto domains = train.value("domains", std::vector<std::string>{});
    if (!domains.empty()) {
      std::string joined;
      for (const auto& d : domains) joined += (joined.empty() ? "" : ",") + d;
      argv.insert(argv.end(), {"--replay-domains", joined});
    }
  } else {
    spdlog::warn("cycle {}: no replay data (spec.worker.skill.train); training on the new rows only",
                 run.request.cycle_id());
  }
  auto p = TrainerProcess::Start(argv, run.log_path, int64_t{1000} * settings().value("timeout_s", 600), kTailLines);
  if (!p.ok()) return Status::Internal("cannot start the trainer: " + p.status().message());
  run.process = std::move(*p);
  return Status::OK();
}

Status TrainingAgent::StartCommand(Run& run, const std::string& base, const std::string& dataset) {
  const auto& req = run.request.train_request();
  CommandJobInput in;
  in.command_template = settings().value("command", "");
  in.base_model_path = base;
  in.base_version = req.base_model();
  in.dataset_path = dataset;
  in.output_version = req.output_version();
  in.cycle_id = run.request.cycle_id();
  in.work_dir = state_dir() + "/training/" + req.output_version() + "-" + NewId();
  in.epochs = settings().value("epochs", 5);
  auto job = PrepareCommandJob(in);
  if (!job.ok()) return job.status();
  run.job = std::move(*job);
  LogNote(run.log_path, fmt::format("cycle {}: training {} with: {} ({} train / {} validation rows)",
                                    run.request.cycle_id(), req.output_version(), run.job.command, run.job.train_rows,
                                    run.job.validation_rows));
  auto p =
      TrainerProcess::Start(run.job.argv, run.log_path, int64_t{1000} * settings().value("timeout_s", 600), kTailLines);
  if (!p.ok()) return Status::Internal("cannot start the training command: " + p.status().message());
  run.process = std::move(*p);
  return Status::OK();
}

Status TrainingAgent::StartPrompt(Run& run, const std::string& base, const std::string& dataset) {
  const auto& req = run.request.train_request();
  PromptTrainJob job;
  job.base_model_path = base;
  job.base_version = req.base_model();
  job.dataset_path = dataset;
  const std::string tmp = state_dir() + "/artifacts/tmp";
  std::error_code ec;
  fs::create_directories(tmp, ec);
  job.output_path = tmp + "/prompt-" + req.output_version() + "-" + NewId() + ".json";
  run.output_tmp = job.output_path;
  job.version = req.output_version();
  job.cycle_id = run.request.cycle_id();
  job.log_path = run.log_path;
  job.spec = settings().value("cluster", json::object()).value("spec", json::object());
  job.prompt = settings().value("prompt", json::object());
  LogNote(run.log_path, fmt::format("cycle {}: prompt search for {} from {}", job.cycle_id, job.version,
                                    job.base_version));
  run.prompt_progress = std::make_shared<PromptTrainProgress>();
  // The thread owns copies of what it uses: the job and the shared progress.
  run.prompt_result = std::async(std::launch::async, [job, progress = run.prompt_progress] {
    return RunPromptTraining(job, *progress);
  });
  run.started_ms = MonoMs();
  run.deadline_ms = run.started_ms + int64_t{1000} * settings().value("timeout_s", 600);
  return Status::OK();
}

void TrainingAgent::PollPrompt() {
  Run& r = *run_;
  std::deque<PromptTrainProgress::Event> events;
  {
    std::lock_guard<std::mutex> lock(r.prompt_progress->mu);
    events.swap(r.prompt_progress->events);
  }
  for (const auto& ev : events) {
    Envelope e;
    e.set_cycle_id(r.request.cycle_id());
    e.mutable_train_progress()->set_fraction(ev.fraction);
    e.mutable_train_progress()->set_message(ev.message);
    if (Status s = Send("runtime", std::move(e)); !s.ok()) spdlog::warn("progress not sent: {}", s.ToString());
    SetState(v1::AGENT_STATE_BUSY,
             fmt::format("training {}: {}", r.request.train_request().output_version(), ev.message));
  }
  if (r.prompt_result.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    Result<json> metrics = r.prompt_result.get();
    if (!metrics.ok()) {
      Fail(metrics.status().code() == Status::Code::kInvalidArgument ? v1::Error::BAD_REQUEST : v1::Error::INTERNAL,
           "prompt training for " + r.request.train_request().output_version() + " failed: " +
               metrics.status().message());
      return;
    }
    r.result = *metrics;
    Finish();
    return;
  }
  if (MonoMs() >= r.deadline_ms) {
    r.prompt_progress->cancel = true;
    abandoned_.push_back(std::move(r.prompt_result));
    Fail(v1::Error::INTERNAL, fmt::format("training {} took longer than training.timeout_s ({} s) and was stopped",
                                          r.request.train_request().output_version(),
                                          settings().value("timeout_s", 600)));
  }
}

void TrainingAgent::OnLine(const std::string& line) {
  Run& r = *run_;
  if (auto result = ParseResultLine(line)) {
    r.result = std::move(*result);
    return;
  }
  auto u = ParseProgressLine(line);
  if (!u) return;
  r.last_progress = json{{"fraction", u->fraction}};
  if (u->loss) r.last_progress["loss"] = *u->loss;
  for (const auto& [k, v] : u->values) r.last_progress[k] = v;
  Envelope e;
  e.set_cycle_id(r.request.cycle_id());
  auto* p = e.mutable_train_progress();
  p->set_fraction(u->fraction);
  if (u->loss) p->set_loss(*u->loss);
  p->set_message(u->message);
  Status s = Send("runtime", std::move(e));
  if (!s.ok()) spdlog::warn("progress not sent: {}", s.ToString());
  const std::string& version = r.request.train_request().output_version();
  std::string detail = fmt::format("training {}: {:.0f}%", version, u->fraction * 100);
  if (!u->message.empty()) detail += ", " + u->message;
  if (u->loss) detail += fmt::format(", loss {:.2f}", *u->loss);
  SetState(v1::AGENT_STATE_BUSY, detail);
}

void TrainingAgent::Poll() {
  if (!run_) return;
  if (run_->prompt_progress) {
    PollPrompt();
    return;
  }
  TrainerProcess& p = *run_->process;
  switch (p.Poll([this](const std::string& line) { OnLine(line); })) {
    case TrainerProcess::State::kRunning:
      return;
    case TrainerProcess::State::kExited:
      if (p.succeeded()) {
        Finish();
      } else if (WIFSIGNALED(p.wait_status()) && run_->attempt <= settings().value("retries", 1)) {
        Retry(p.DescribeExit());
      } else {
        Fail(v1::Error::INTERNAL,
             fmt::format("the trainer for {} {}", run_->request.train_request().output_version(), p.DescribeExit()));
      }
      return;
    case TrainerProcess::State::kTimedOut:
      Fail(v1::Error::INTERNAL, fmt::format("training {} took longer than training.timeout_s ({} s) and was stopped",
                                            run_->request.train_request().output_version(),
                                            settings().value("timeout_s", 600)));
      return;
    case TrainerProcess::State::kLost:
      Fail(v1::Error::INTERNAL, "the trainer process vanished (pid not our child any more)");
      return;
  }
}

void TrainingAgent::Retry(const std::string& how) {
  Run& r = *run_;
  const std::string& version = r.request.train_request().output_version();
  const int retries = settings().value("retries", 1);
  std::string message = fmt::format("the trainer for {} {}; starting it again (attempt {} of {})", version, how,
                                    r.attempt + 1, retries + 1);
  spdlog::warn("cycle {}: {}", r.request.cycle_id(), message);
  LogNote(r.log_path, message);
  std::error_code ec;
  if (!r.output_tmp.empty()) fs::remove(r.output_tmp, ec);
  if (!r.holdout_tmp.empty()) fs::remove(r.holdout_tmp, ec);
  if (r.backend == "command") fs::remove_all(r.job.work_dir, ec);
  r.process.reset();
  r.result = json();
  r.last_progress = json();
  ++r.attempt;
  Status started = r.backend == "command" ? StartCommand(r, r.base, r.dataset) : StartBuiltin(r, r.base, r.dataset);
  if (!started.ok()) {
    Fail(v1::Error::INTERNAL, "restarting the trainer for " + version + " failed: " + started.message());
    return;
  }
  SetState(v1::AGENT_STATE_BUSY, fmt::format("training {}: restarted (attempt {})", version, r.attempt));
}

void TrainingAgent::Finish() {
  Run& r = *run_;
  const auto& req = r.request.train_request();
  std::string model_path = r.output_tmp, ext = "kzm";
  if (r.backend == "prompt") {
    ext = "json";
  } else if (r.backend == "command") {
    auto found = FindCommandOutput(r.job.output_dir, r.result);
    if (!found.ok()) {
      Fail(v1::Error::INTERNAL, "training command for " + req.output_version() + ": " + found.status().message());
      return;
    }
    model_path = *found;
    ext = ArtifactExtension(model_path);
  }
  auto art = sdk::StoreArtifactFile(state_dir(), "models", ext, model_path);
  if (!art.ok()) {
    Fail(v1::Error::INTERNAL, "storing the trained model failed: " + art.status().message());
    return;
  }
  json metrics = r.result.is_object() ? r.result : json::object();
  std::error_code ec;
  if (!r.holdout_tmp.empty() && fs::exists(r.holdout_tmp, ec)) {
    // Evaluation judges this one (it never saw the validation rows); the refit is deployed.
    auto holdout = sdk::StoreArtifactFile(state_dir(), "models", "kzm", r.holdout_tmp);
    if (!holdout.ok()) {
      Fail(v1::Error::INTERNAL, "storing the holdout model failed: " + holdout.status().message());
      return;
    }
    metrics["holdout"] = {{"uri", holdout->uri}, {"sha256", holdout->sha256}};
  }
  metrics["wall_seconds"] =
      static_cast<double>(r.process ? r.process->elapsed_ms() : MonoMs() - r.started_ms) / 1000.0;
  metrics["backend"] = r.backend;
  if (r.backend == "builtin") {
    metrics["replay_fraction"] = settings().value("replay_fraction", 0.5);
  } else if (r.backend == "command") {
    metrics["train_rows"] = r.job.train_rows;
    metrics["validation_rows"] = r.job.validation_rows;
    metrics["log"] = r.log_path;
    if (r.last_progress.is_object()) metrics["last_progress"] = r.last_progress;
    fs::remove_all(r.job.work_dir, ec);  // the model was moved out; the rest is scratch
  }
  Envelope reply;
  auto* ready = reply.mutable_model_ready();
  ready->set_version(req.output_version());
  ready->set_uri(art->uri);
  ready->set_sha256(art->sha256);
  ready->set_parent(req.base_model());
  ready->set_metrics_json(metrics.dump());
  // The prompt search reports its calls by who made them (worker, teacher, judge).
  if (metrics.contains("usage") && metrics["usage"].is_object()) {
    models::llm::Usage total;
    for (const auto& [who, u] : metrics["usage"].items()) total += models::llm::UsageFromJson(u);
    *ready->mutable_llm_usage() = models::llm::UsageMessage(total);
  }
  spdlog::info("cycle {}: model {} ready at {}: {}", r.request.cycle_id(), req.output_version(), art->uri,
               metrics.dump());
  answered_[r.key] = reply;
  Reply(r.request, std::move(reply));
  SetState(v1::AGENT_STATE_IDLE, "trained " + req.output_version());
  StopRun();
}

void TrainingAgent::Fail(v1::Error::Code code, const std::string& message) {
  Run& r = *run_;
  std::string text = message;
  auto tail = r.process ? r.process->Tail() : std::vector<std::string>{};
  if (!tail.empty()) {
    text += "; last log lines (" + r.log_path + "):";
    for (const auto& l : tail) text += "\n  " + l;
  }
  spdlog::error("cycle {}: {}", r.request.cycle_id(), text);
  std::error_code ec;
  if (!r.output_tmp.empty()) fs::remove(r.output_tmp, ec);
  if (!r.holdout_tmp.empty()) fs::remove(r.holdout_tmp, ec);
  // A command's work dir is kept: what it left there helps to find out why.
  ReplyError(r.request, code, text);
  SetState(v1::AGENT_STATE_IDLE, "training failed: " + message);
  StopRun();
}

}  // namespace kaizen::agents
