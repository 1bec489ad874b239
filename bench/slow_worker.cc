#include "bench/slow_worker.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "agents/sdk/agent.h"
#include "bench/cpu_burn.h"
#include "runtime/base/ids.h"
#include "runtime/base/sha256.h"

namespace kaizen::bench {
namespace {

class SlowWorker : public sdk::Agent {
 public:
  explicit SlowWorker(SlowWorkerOptions o) : o_(std::move(o)) {}

  Status OnStart() override {
    Handle(sdk::Envelope::kTask, [this](const sdk::Envelope& e) { OnTask(e); });
    Handle(sdk::Envelope::kAck, [this](const sdk::Envelope& e) {
      if (e.correlation_id() != registration_id_) return;
      SetModelVersion(e.ack().detail());
      SetState(v1::AGENT_STATE_IDLE, "serving " + e.ack().detail());
    });
    Handle(sdk::Envelope::kError, [this](const sdk::Envelope& e) {
      if (e.correlation_id() != registration_id_) return;
      SetState(v1::AGENT_STATE_FAILED, "initial model refused: " + e.error().message());
    });
    // A replica after the first: the runtime names the registered model.
    const auto& model = settings().value("model", nlohmann::json::object());
    if (model.is_object() && !model.value("version", "").empty()) {
      SetModelVersion(model.value("version", ""));
      SetState(v1::AGENT_STATE_IDLE, "serving " + model_version());
      return Status::OK();
    }
    auto sha = Sha256File(o_.model_path);
    if (!sha.ok()) return sha.status().WithContext("the slow worker's model file");
    sdk::Envelope e;
    auto* mr = e.mutable_model_ready();
    mr->set_uri("file://" + o_.model_path);
    mr->set_sha256(*sha);
    mr->set_metrics_json("{}");
    registration_id_ = NewId();
    e.set_message_id(registration_id_);
    SetState(v1::AGENT_STATE_STARTING, "registering the initial model");
    return Send("runtime", std::move(e));
  }

 private:
  void OnTask(const sdk::Envelope& e) {
    const auto t0 = std::chrono::steady_clock::now();
    BurnThreadCpu(o_.task_cpu_ns);
    sdk::Envelope reply;
    auto* r = reply.mutable_task_result();
    r->set_task_id(e.task().task_id());
    r->set_worker_id(id());
    r->set_model_version(model_version());
    r->set_output("done");
    r->set_confidence(1.0);
    r->set_ok(true);
    r->set_latency_us(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
    if (Status s = Reply(e, std::move(reply)); !s.ok()) {
      spdlog::warn("the answer to task {} is not sent: {}", e.task().task_id(), s.ToString());
    }
  }

  SlowWorkerOptions o_;
  std::string registration_id_;
};

}  // namespace

int RunSlowWorker(const SlowWorkerOptions& options) {
  SlowWorker agent(options);
  sdk::RunOptions ro;
  ro.id = options.id;
  ro.role = "worker";
  ro.control_endpoint = options.endpoint;
  return sdk::RunAgent(agent, ro);
}

}  // namespace kaizen::bench
