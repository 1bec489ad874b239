#include "agents/training/training_agent.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "agents/sdk/artifacts.h"
#include "runtime/base/clock.h"
#include "runtime/base/ids.h"
#include "runtime/supervisor/supervisor.h"

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

std::string DescribeExit(int st) {
  if (WIFEXITED(st)) return fmt::format("exited with code {}", WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return fmt::format("killed by signal {} ({})", WTERMSIG(st), strsignal(WTERMSIG(st)));
  return "ended";
}

}  // namespace

struct TrainingAgent::Run {
  Envelope request;
  std::string key;
  pid_t pid = 0;
  uint64_t timer = 0;
  std::string log_path, output_tmp;
  std::uintmax_t log_offset = 0;
  std::string partial;  // a log line not yet ended
  std::deque<std::string> tail;
  json result;  // the child's "result" line
  int64_t started_ms = 0, deadline_ms = 0;
  int epochs = 0;
};

TrainingAgent::TrainingAgent() = default;
TrainingAgent::~TrainingAgent() { KillChild(); }

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
    KillChild();
    run_.reset();
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
    KillChild();
    run_.reset();
  }

  const std::string backend = settings().value("backend", "builtin");
  if (backend != "builtin") {
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
  auto exe = SelfExe();
  if (!exe.ok()) {
    ReplyError(request, v1::Error::INTERNAL, exe.status().message());
    return;
  }

  auto run = std::make_unique<Run>();
  run->request = request;
  run->key = key;
  run->epochs = settings().value("epochs", 5);
  const std::string logs = state_dir() + "/logs";
  const std::string tmp = state_dir() + "/artifacts/tmp";
  std::error_code ec;
  fs::create_directories(logs, ec);
  fs::create_directories(tmp, ec);
  run->log_path = logs + "/train-" + req.output_version() + ".log";
  run->output_tmp = tmp + "/model-" + req.output_version() + "-" + NewId() + ".kzm";
  run->log_offset = fs::exists(run->log_path, ec) ? fs::file_size(run->log_path, ec) : 0;
  if (ec) run->log_offset = 0;

  std::vector<std::string> argv = {*exe,      "train-model", "--base",    *base,
                                   "--dataset", *dataset,     "--version", req.output_version(),
                                   "--output",  run->output_tmp, "--epochs", std::to_string(run->epochs),
                                   "--replay-fraction", fmt::format("{}", settings().value("replay_fraction", 0.5))};
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
                 request.cycle_id());
  }

  auto pid = supervisor::SpawnProcess(argv, run->log_path);
  if (!pid.ok()) {
    ReplyError(request, v1::Error::INTERNAL, "cannot start the trainer: " + pid.status().message());
    return;
  }
  run->pid = *pid;
  run->started_ms = MonoMs();
  run->deadline_ms = run->started_ms + int64_t{1000} * settings().value("timeout_s", 600);
  spdlog::info("cycle {}: training {} from {} on {} (pid {}, log {})", request.cycle_id(), req.output_version(),
               req.base_model(), req.dataset_id(), run->pid, run->log_path);
  SetState(v1::AGENT_STATE_BUSY, "training " + req.output_version() + ": starting");
  run_ = std::move(run);
  run_->timer = Every(kPollMs, [this] { Poll(); });
}

void TrainingAgent::ReadLog() {
  Run& r = *run_;
  std::ifstream in(r.log_path, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(r.log_offset));
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  r.log_offset += chunk.size();
  r.partial += chunk;
  std::size_t start = 0, nl;
  while ((nl = r.partial.find('\n', start)) != std::string::npos) {
    OnLine(r.partial.substr(start, nl - start));
    start = nl + 1;
  }
  r.partial.erase(0, start);
}

void TrainingAgent::OnLine(const std::string& line) {
  Run& r = *run_;
  if (line.empty()) return;
  r.tail.push_back(line);
  if (r.tail.size() > kTailLines) r.tail.pop_front();
  if (line.rfind("result ", 0) == 0) {
    r.result = json::parse(line.substr(7), nullptr, false);
    return;
  }
  // progress <fraction> loss <loss> <message>
  if (line.rfind("progress ", 0) != 0) return;
  std::istringstream in(line.substr(9));
  double fraction = 0, loss = 0;
  std::string word;
  if (!(in >> fraction >> word >> loss) || word != "loss") return;
  std::string message;
  std::getline(in >> std::ws, message);
  Envelope e;
  e.set_cycle_id(r.request.cycle_id());
  auto* p = e.mutable_train_progress();
  p->set_fraction(fraction);
  p->set_loss(loss);
  p->set_message(message);
  Status s = Send("runtime", std::move(e));
  if (!s.ok()) spdlog::warn("progress not sent: {}", s.ToString());
  const std::string& version = r.request.train_request().output_version();
  SetState(v1::AGENT_STATE_BUSY, message.rfind("epoch", 0) == 0
                                     ? fmt::format("training {}: {}, loss {:.2f}", version, message, loss)
                                     : fmt::format("training {}: {}", version, message));
}

void TrainingAgent::Poll() {
  if (!run_) return;
  ReadLog();
  int st = 0;
  pid_t got = ::waitpid(run_->pid, &st, WNOHANG);
  if (got == run_->pid) {
    run_->pid = 0;
    ReadLog();
    Finish(st);
    return;
  }
  if (got < 0 && errno == ECHILD) {  // reaped elsewhere: the outcome is unknown
    run_->pid = 0;
    Fail(v1::Error::INTERNAL, "the trainer process vanished (pid not our child any more)");
    return;
  }
  if (MonoMs() >= run_->deadline_ms) {
    const int timeout_s = settings().value("timeout_s", 600);
    KillChild();
    ReadLog();
    Fail(v1::Error::INTERNAL, fmt::format("training {} took longer than training.timeout_s ({} s) and was stopped",
                                          run_->request.train_request().output_version(), timeout_s));
  }
}

void TrainingAgent::Finish(int st) {
  Run& r = *run_;
  const auto& req = r.request.train_request();
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    Fail(v1::Error::INTERNAL, fmt::format("the trainer for {} {}", req.output_version(), DescribeExit(st)));
    return;
  }
  auto art = sdk::StoreArtifactFile(state_dir(), "models", "kzm", r.output_tmp);
  if (!art.ok()) {
    Fail(v1::Error::INTERNAL, "storing the trained model failed: " + art.status().message());
    return;
  }
  json metrics = r.result.is_object() ? r.result : json::object();
  metrics["wall_seconds"] = static_cast<double>(MonoMs() - r.started_ms) / 1000.0;
  metrics["replay_fraction"] = settings().value("replay_fraction", 0.5);
  metrics["backend"] = "builtin";
  Envelope reply;
  auto* ready = reply.mutable_model_ready();
  ready->set_version(req.output_version());
  ready->set_uri(art->uri);
  ready->set_sha256(art->sha256);
  ready->set_parent(req.base_model());
  ready->set_metrics_json(metrics.dump());
  spdlog::info("cycle {}: model {} ready at {}: {}", r.request.cycle_id(), req.output_version(), art->uri,
               metrics.dump());
  answered_[r.key] = reply;
  Reply(r.request, std::move(reply));
  Cancel(r.timer);
  SetState(v1::AGENT_STATE_IDLE, "trained " + req.output_version());
  run_.reset();
}

void TrainingAgent::Fail(v1::Error::Code code, const std::string& message) {
  Run& r = *run_;
  std::string text = message;
  if (!r.partial.empty()) r.tail.push_back(r.partial);
  while (r.tail.size() > kTailLines) r.tail.pop_front();
  if (!r.tail.empty()) {
    text += "; last log lines (" + r.log_path + "):";
    for (const auto& l : r.tail) text += "\n  " + l;
  }
  spdlog::error("cycle {}: {}", r.request.cycle_id(), text);
  std::error_code ec;
  fs::remove(r.output_tmp, ec);
  ReplyError(r.request, code, text);
  Cancel(r.timer);
  SetState(v1::AGENT_STATE_IDLE, "training failed: " + message);
  run_.reset();
}

void TrainingAgent::KillChild() {
  if (!run_ || run_->pid <= 0) return;
  // The trainer has its own process group (SpawnProcess): kill all of it.
  ::kill(-run_->pid, SIGKILL);
  ::kill(run_->pid, SIGKILL);
  int st = 0;
  while (::waitpid(run_->pid, &st, 0) < 0 && errno == EINTR) {
  }
  run_->pid = 0;
}

}  // namespace kaizen::agents
