#include "agents/worker/worker_agent.h"

#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "agents/datagen/dataset_writer.h"
#include "agents/datagen/teacher.h"
#include "agents/models/jsonl_dataset.h"
#include "agents/models/llm/prompt_config.h"
#include "agents/sdk/artifacts.h"
#include "agents/worker/worker_settings.h"
#include "runtime/base/clock.h"
#include "runtime/base/ids.h"
#include "runtime/base/text.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

// Where the initial model's training data is: the manifest's worker.skill.train.
struct TrainSource {
  std::string path, split;
  std::vector<std::string> domains;
};

Result<TrainSource> InitialTrainSource(const json& settings) {
  const json& skill = settings.value("skill", json::object());
  if (!skill.contains("train")) return Status::InvalidArgument("spec.worker.skill.train is missing");
  const json& train = skill["train"];
  const std::string dataset = train.value("dataset", "");
  const json spec = settings.value("cluster", json::object()).value("spec", json::object());
  const json data = spec.value("data", json::object());
  if (!data.contains(dataset)) return Status::InvalidArgument("dataset '" + dataset + "' is not in spec.data");
  TrainSource src;
  src.path = data[dataset].value("path", "");
  const WorkerSettings typed = WorkerSettings::FromAgentSettings(settings);
  src.split = typed.train_split;
  src.domains = typed.train_domains;
  return src;
}

}  // namespace

Status WorkerAgent::OnStart() {
  if (WorkerSettings::FromAgentSettings(settings()).skill_backend == WorkerSettings::SkillBackend::kOpenAi) {
    auto skill = LlmSkill::Create(settings());
    if (!skill.ok()) return skill.status();
    llm_ = std::move(*skill);
    Every(2, [this] { SendLlmAnswers(); });
  }
  Handle(sdk::Envelope::kTask, [this](const sdk::Envelope& e) { OnTask(e); });
  Handle(sdk::Envelope::kCommand, [this](const sdk::Envelope& e) { OnCommand(e); });
  Handle(sdk::Envelope::kAck, [this](const sdk::Envelope& e) {
    if (e.correlation_id() != registration_id_ || !pending_) return;
    model_ = pending_->model;
    if (llm_) llm_->SetModel(pending_->prompt);
    pending_.reset();
    SetModelVersion(e.ack().detail());
    StartTeacher();
    SetState(v1::AGENT_STATE_IDLE, ServingDetail());
  });
  Handle(sdk::Envelope::kError, [this](const sdk::Envelope& e) {
    if (e.correlation_id() == registration_id_) {
      spdlog::error("the runtime refused the initial model: {}", e.error().message());
      SetState(v1::AGENT_STATE_FAILED, "initial model refused: " + e.error().message());
    }
  });

  SetUpDeferral();
  if (settings().contains("model") && settings()["model"].is_object()) {
    const json& m = settings()["model"];
    Status s = LoadModel(m.value("version", ""), m.value("uri", ""), m.value("sha256", ""));
    if (!s.ok()) return s;
    StartTeacher();
    SetState(v1::AGENT_STATE_IDLE, ServingDetail());
    return Status::OK();
  }
  StartInitialTraining();
  return Status::OK();
}

void WorkerAgent::SetUpDeferral() {
  const WorkerSettings typed = WorkerSettings::FromAgentSettings(settings());
  if (!typed.defer_enabled) return;
  if (llm_) {
    // `kaizen validate` refuses this; settings written by hand may still have it.
    spdlog::warn("spec.worker.defer.enabled is set, but deferral is available for builtin-classifier workers only; "
                 "this openai worker serves without deferral");
    deferral_note_ = "deferral off: an openai worker does not defer";
    return;
  }
  auto spec = NamedTeacher(settings(), typed.defer_teacher);
  if (!spec.ok()) {
    spdlog::error("spec.worker.defer: {}; serving without deferral", spec.status().message());
    deferral_note_ = "deferral off: " + spec.status().message();
    return;
  }
  DeferralOptions o = typed.deferral;
  o.cost_per_call = spec->cost_per_call;
  deferral_.emplace(o, MonoMs());
  deferral_teacher_ = std::move(*spec);
  deferral_note_ = "deferral: waiting for a model";
  spdlog::info("deferral to teacher {}: at most {:.1f}% of the tasks{}", deferral_teacher_->name, 100 * o.max_share,
               o.max_cost_per_hour > 0 ? fmt::format(" and ${} per hour", o.max_cost_per_hour) : "");
  // The detail shows the deferral counts; refreshed now and then, since each change is journaled.
  Every(5000, [this] {
    if (state() == v1::AGENT_STATE_IDLE) SetState(v1::AGENT_STATE_IDLE, ServingDetail());
  });
}

void WorkerAgent::StartTeacher() {
  if (!deferral_ || teacher_) return;
  teacher_ = std::make_unique<TeacherCalls>(*deferral_teacher_, state_dir());
  deferral_note_ = "deferral: preparing teacher " + deferral_teacher_->name;
  teacher_timer_ = Every(200, [this] { PollTeacher(); });
}

void WorkerAgent::PollTeacher() {
  if (!teacher_ || !teacher_->Poll()) return;
  Cancel(teacher_timer_);
  if (teacher_->ready()) {
    spdlog::info("deferral: teacher {} is ready", deferral_teacher_->name);
    deferral_note_.clear();
  } else {
    spdlog::error("deferral: cannot prepare teacher {}: {}; serving without deferral", deferral_teacher_->name,
                  teacher_->failure().ToString());
    deferral_note_ = "deferral off: " + teacher_->failure().message();
  }
  if (state() == v1::AGENT_STATE_IDLE) SetState(v1::AGENT_STATE_IDLE, ServingDetail());
}

bool WorkerAgent::TryDefer(const sdk::Envelope& e, sdk::Envelope& reply, std::chrono::steady_clock::time_point t0) {
  const bool can_call = teacher_ && teacher_->ready() && !draining_ && deferred_in_flight_ < teacher_->capacity();
  auto charged = deferral_->Decide(reply.task_result().confidence(), can_call, MonoMs());
  if (!charged) return false;
  ++deferred_in_flight_;
  // The same task, the same draw: a noisy teacher's answer is reproducible.
  teacher_->Submit(e.task().input(), SeedFromString(e.task().task_id()),
                   [this, e, reply = std::move(reply), charged = *charged, t0](TeacherAnswer a) mutable {
                     // On a teacher thread: the answer is sent from the loop.
                     Post([this, e = std::move(e), reply = std::move(reply), a = std::move(a), charged, t0]() mutable {
                       FinishDeferred(e, std::move(reply), std::move(a), charged, t0);
                     });
                   });
  return true;
}

void WorkerAgent::FinishDeferred(const sdk::Envelope& e, sdk::Envelope reply, TeacherAnswer answer, double charged,
                                 std::chrono::steady_clock::time_point t0) {
  --deferred_in_flight_;
  const std::string label = Trim(answer.label);
  const bool served = answer.status.ok() && !label.empty();
  deferral_->Settle(charged, answer.cost, served);
  auto* r = reply.mutable_task_result();
  if (served) {
    auto& tags = *r->mutable_tags();
    tags["deferred"] = deferral_teacher_->name;
    tags["deferred_cost"] = DecimalString(answer.cost);
    tags["worker_answer"] = r->output();
    tags["worker_confidence"] = DecimalString(r->confidence());
    r->set_output(label);
  } else if (teacher_failures_++ % 100 == 0) {  // the first, then every 100th
    spdlog::warn("deferral: teacher {} gave no answer ({}); the worker's answer is served ({} so far)",
                 deferral_teacher_->name, answer.status.ok() ? "an empty one" : answer.status.message(),
                 teacher_failures_);
  }
  // The task waited for the teacher either way.
  r->set_latency_us(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
  if (Status s = Reply(e, std::move(reply)); !s.ok()) {
    spdlog::warn("the answer to task {} is not sent: {}", e.task().task_id(), s.ToString());
  }
  MaybeFinishDrain();
}

Status WorkerAgent::LoadModel(const std::string& version, const std::string& uri, const std::string& sha256) {
  if (!sha256.empty()) {
    Status v = sdk::VerifyArtifact(uri, sha256);
    if (!v.ok()) return v.WithContext("model " + version);
  }
  auto path = sdk::PathFromUri(uri);
  if (!path.ok()) return path.status();
  if (llm_) {
    auto prompt = models::llm::LoadPromptModel(*path);
    if (!prompt.ok()) return prompt.status().WithContext("loading model " + version + " from " + *path);
    // A version whose tools or memory cannot all be verified, or whose tools cannot run here, is not served.
    auto assets = models::llm::LoadPromptAssets(*prompt);
    if (!assets.ok()) return assets.status().WithContext("loading model " + version + " from " + *path);
    const std::size_t tool_count = assets->specs.size(), pool = assets->retrieval.pool_size(),
                      lessons = assets->retrieval.lesson_count();
    llm_->SetModel(std::make_shared<const models::llm::PromptModel>(std::move(*prompt)), std::move(*assets));
    SetModelVersion(version);
    spdlog::info("serving prompt model {} ({} labels, {} examples, {} tools, a pool of {} examples, {} lessons) from {}",
                 version, llm_->model()->labels.size(), llm_->model()->examples.size(), tool_count, pool, lessons,
                 *path);
    return Status::OK();
  }
  auto model = models::TextClassifier::Load(*path);
  if (!model.ok()) return model.status().WithContext("loading model " + version + " from " + *path);
  model_ = std::make_shared<const models::TextClassifier>(std::move(*model));
  SetModelVersion(version);
  spdlog::info("serving model {} ({} labels) from {}", version, model_->labels().size(), *path);
  return Status::OK();
}

void WorkerAgent::StartInitialTraining() {
  if (llm_) {
    // An LLM needs no training: its first version is the manifest's prompt.
    SetState(v1::AGENT_STATE_STARTING, "writing the initial prompt");
    const json spec = settings().value("cluster", json::object()).value("spec", json::object());
    const json skill = settings().value("skill", json::object());
    const std::string state = state_dir();
    const std::string tmp_dir = state + "/artifacts/tmp";
    const std::string tmp = tmp_dir + "/initial-" + id() + "-" + NewId() + ".json";
    training_ = std::async(std::launch::async, [skill, spec, state, tmp_dir, tmp]() {
      Trained t;
      auto prompt = models::llm::PromptFromManifest(skill, spec.value("data", json::object()), "spec.worker.skill");
      if (!prompt.ok()) {
        t.status = prompt.status();
        return t;
      }
      std::error_code ec;
      std::filesystem::create_directories(tmp_dir, ec);
      t.status = models::llm::SavePromptModel(tmp, *prompt);
      if (!t.status.ok()) return t;
      auto art = sdk::StoreArtifactFile(state, "models", "json", tmp);
      if (!art.ok()) {
        t.status = art.status();
        return t;
      }
      t.uri = art->uri;
      t.sha256 = art->sha256;
      t.metrics_json = json{{"backend", "openai"},
                            {"base_model", prompt->base_model},
                            {"task", models::llm::TaskKindName(prompt->task)},
                            {"labels", prompt->labels.size()},
                            {"examples", prompt->examples.size()}}
                           .dump();
      t.prompt = std::make_shared<const models::llm::PromptModel>(std::move(*prompt));
      return t;
    });
    training_timer_ = Every(50, [this] { PollInitialTraining(); });
    return;
  }
  auto src = InitialTrainSource(settings());
  if (!src.ok()) {
    SetState(v1::AGENT_STATE_FAILED, src.status().message());
    return;
  }
  SetState(v1::AGENT_STATE_STARTING, "training the initial model");
  const std::string tmp_dir = state_dir() + "/artifacts/tmp";
  const std::string state = state_dir();
  const std::string tmp = tmp_dir + "/initial-" + id() + "-" + NewId() + ".kzm";
  training_ = std::async(std::launch::async, [src = *src, tmp_dir, tmp, state]() {
    Trained t;
    auto t0 = std::chrono::steady_clock::now();
    auto data = models::LoadJsonlExamples(src.path, src.split, src.domains);
    if (!data.ok()) {
      t.status = data.status().WithContext("initial training data");
      return t;
    }
    if (data->examples.empty()) {
      t.status = Status::InvalidArgument("no examples in " + src.path + " for split '" + src.split + "' and the domains given");
      return t;
    }
    models::TrainOptions opts;
    auto model = models::TextClassifier::Train(data->examples, opts);
    if (!model.ok()) {
      t.status = model.status();
      return t;
    }
    std::error_code ec;
    std::filesystem::create_directories(tmp_dir, ec);
    Status s = model->Save(tmp, "initial");
    if (!s.ok()) {
      t.status = s;
      return t;
    }
    auto art = sdk::StoreArtifactFile(state, "models", "kzm", tmp);
    if (!art.ok()) {
      t.status = art.status();
      return t;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t.uri = art->uri;
    t.sha256 = art->sha256;
    t.metrics_json = json{{"train_rows", data->examples.size()}, {"labels", model->labels().size()}, {"seconds", secs},
                          {"source", src.path}, {"split", src.split}, {"domains", src.domains}}
                         .dump();
    t.model = std::make_shared<const models::TextClassifier>(std::move(*model));
    return t;
  });
  training_timer_ = Every(50, [this] { PollInitialTraining(); });
}

void WorkerAgent::PollInitialTraining() {
  if (!training_ || training_->wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  Trained t = training_->get();
  training_.reset();
  Cancel(training_timer_);
  if (!t.status.ok()) {
    spdlog::error("initial training failed: {}", t.status.ToString());
    SetState(v1::AGENT_STATE_FAILED, "initial training failed: " + t.status.message());
    return;
  }
  sdk::Envelope e;
  auto* mr = e.mutable_model_ready();
  mr->set_uri(t.uri);
  mr->set_sha256(t.sha256);
  mr->set_metrics_json(t.metrics_json);
  registration_id_ = NewId();
  e.set_message_id(registration_id_);
  pending_ = std::move(t);
  (void)Send("runtime", e);
  SetState(v1::AGENT_STATE_STARTING, "initial model trained; registering it");
}

void WorkerAgent::OnTask(const sdk::Envelope& e) {
  if (llm_) return OnLlmTask(e);
  const auto& task = e.task();
  sdk::Envelope reply;
  auto* r = reply.mutable_task_result();
  r->set_task_id(task.task_id());
  r->set_worker_id(id());
  r->set_model_version(model_version());
  if (!model_) {
    r->set_ok(false);
    r->set_error("no model loaded yet");
  } else {
    auto t0 = std::chrono::steady_clock::now();
    models::Prediction p = model_->Predict(task.input());
    r->set_latency_us(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
    r->set_output(p.label);
    r->set_confidence(p.confidence);
    r->set_ok(true);
    if (deferral_ && TryDefer(e, reply, t0)) {
      ++served_;
      return;  // answered when the teacher is done
    }
  }
  ++served_;
  (void)Reply(e, std::move(reply));
}

void WorkerAgent::OnLlmTask(const sdk::Envelope& e) {
  ++llm_in_flight_;
  ++served_;
  const std::string version = model_version();
  llm_->Submit(e.task().input(), [this, e, version](LlmAnswer a) {
    sdk::Envelope reply;
    auto* r = reply.mutable_task_result();
    r->set_task_id(e.task().task_id());
    r->set_worker_id(id());
    r->set_model_version(version);
    r->set_latency_us(a.latency_us);
    r->set_ok(a.status.ok());
    if (a.status.ok()) {
      r->set_output(a.output);
      r->set_confidence(a.confidence);
    } else {
      r->set_error(a.status.message());
    }
    for (const auto& t : a.tool_calls) {
      auto* c = r->add_tool_calls();
      c->set_name(t.name);
      c->set_arguments(t.arguments);
      c->set_ok(t.ok);
      c->set_result(t.result);
      c->set_error(t.error);
      c->set_seconds(t.seconds);
    }
    std::lock_guard<std::mutex> lock(answers_mu_);
    answers_.emplace_back(e, std::move(reply));
  });
}

void WorkerAgent::SendLlmAnswers() {
  std::vector<std::pair<sdk::Envelope, sdk::Envelope>> ready;
  {
    std::lock_guard<std::mutex> lock(answers_mu_);
    ready.swap(answers_);
  }
  for (auto& [request, reply] : ready) {
    --llm_in_flight_;
    (void)Reply(request, std::move(reply));
  }
  if (!ready.empty() && !draining_ && state() != v1::AGENT_STATE_STARTING && served_ % 50 == 0) {
    SetState(improving_ ? v1::AGENT_STATE_IMPROVING : v1::AGENT_STATE_IDLE, ServingDetail());
  }
  MaybeFinishDrain();
}

void WorkerAgent::MaybeFinishDrain() {
  if (draining_ && llm_in_flight_ == 0 && deferred_in_flight_ == 0) {
    draining_ = false;
    FinishDrain();
  }
}

void WorkerAgent::OnDrain() {
  if (llm_in_flight_ == 0 && deferred_in_flight_ == 0) return FinishDrain();
  // SendLlmAnswers or FinishDeferred finishes the drain once the last answer is sent.
  draining_ = true;
}

void WorkerAgent::OnCommand(const sdk::Envelope& e) {
  const auto& cmd = e.command();
  sdk::Envelope reply;
  switch (cmd.kind()) {
    case v1::Command::RELOAD_MODEL: {
      json m = json::parse(cmd.argument(), nullptr, false);
      Status s = m.is_object() ? LoadModel(m.value("version", ""), m.value("uri", ""), m.value("sha256", ""))
                               : Status::InvalidArgument("RELOAD_MODEL needs {\"version\",\"uri\",\"sha256\"}");
      if (!s.ok()) {
        spdlog::error("reload failed: {}", s.ToString());
        reply.mutable_error()->set_code(v1::Error::BAD_REQUEST);
        reply.mutable_error()->set_message(s.message());
      } else {
        reply.mutable_ack()->set_detail("serving " + model_version());
        SetState(improving_ ? v1::AGENT_STATE_IMPROVING : v1::AGENT_STATE_IDLE, ServingDetail());
      }
      break;
    }
    case v1::Command::IMPROVE:
      improving_ = true;
      SetState(v1::AGENT_STATE_IMPROVING, cmd.reason().empty() ? "a clone serves while this worker improves" : cmd.reason());
      reply.mutable_ack()->set_detail("improving");
      break;
    case v1::Command::SERVE:
      improving_ = false;
      SetState(v1::AGENT_STATE_IDLE, ServingDetail());
      reply.mutable_ack()->set_detail(ServingDetail());
      break;
    default:
      reply.mutable_error()->set_code(v1::Error::BAD_REQUEST);
      reply.mutable_error()->set_message("a worker does not take command " + v1::Command::Kind_Name(cmd.kind()));
  }
  (void)Reply(e, std::move(reply));
}

std::string WorkerAgent::ServingDetail() const {
  std::string detail = model_version().empty() ? "no model" : "serving " + model_version();
  if (llm_) {
    const auto u = llm_->usage();
    detail += fmt::format(" · llm {} calls, {} tokens, cost {:.4f}", u.calls + u.failures,
                          u.prompt_tokens + u.completion_tokens, u.cost);
  }
  if (!deferral_note_.empty()) {
    detail += " · " + deferral_note_;
  } else if (deferral_) {
    detail += " · " + deferral_->Describe() + " to " + deferral_teacher_->name;
  }
  return detail;
}

}  // namespace kaizen::agents
