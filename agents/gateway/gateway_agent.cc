#include "agents/gateway/gateway_agent.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "agents/gateway/gateway_settings.h"
#include "runtime/base/clock.h"
#include "runtime/base/ids.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

constexpr int64_t kStatusEveryMs = 500;
// No status reply for this long: the runtime is gone or restarting, so no
// worker can be reached through it.
constexpr int64_t kStatusStaleMs = 2500;
// How long a request made before the gateway's first status reply waits for
// it (the request for it goes out as the port opens: a round trip, normally).
constexpr int64_t kFirstStatusWaitMs = 1000;
constexpr int64_t kReportEveryMs = 1000;
// Report early when this many request records wait (keeps each journal event small).
constexpr size_t kReportRecords = 500;
// How long a draining gateway waits for answers to requests in progress.
constexpr int64_t kDrainGraceMs = 5000;

int HttpStatusOf(v1::Error::Code code) {
  switch (code) {
    case v1::Error::BAD_REQUEST:
      return 400;
    case v1::Error::FORBIDDEN:
      return 403;
    case v1::Error::NOT_FOUND:
      return 404;
    case v1::Error::GONE:
      return 410;
    case v1::Error::NOT_REGISTERED:
    case v1::Error::UNAVAILABLE:
    case v1::Error::SHUTTING_DOWN:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

GatewayAgent::~GatewayAgent() {
  // HTTP threads may still wait on calls the loop will never answer now.
  FailAll(503, "the gateway is stopping");
  http_.reset();
}

Status GatewayAgent::OnStart() {
  const json& s = settings();
  const GatewaySettings typed = GatewaySettings::FromAgentSettings(s);
  request_timeout_ms_ = typed.request_timeout_ms;
  gateway::HttpApi::Options o;
  const std::string& listen = typed.listen;
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("gateway listen '" + listen + "' is not HOST:PORT");
  o.host = listen.substr(0, colon);
  o.port = std::stoi(listen.substr(colon + 1));
  o.model = typed.model;
  o.gateway_id = id();
  o.request_timeout_ms = request_timeout_ms_;
  o.max_body_bytes = typed.max_body_bytes;
  o.threads = typed.threads;
  o.rate_limit_per_s = typed.rate_limit_per_s;
  if (s.contains("api_keys_file")) {
    auto keys = gateway::ApiKeys::Load(s["api_keys_file"].get<std::string>());
    if (!keys.ok()) return keys.status();
    spdlog::info("gateway: {} API keys from {}", keys->size(), s["api_keys_file"].get<std::string>());
    o.keys = std::move(keys.value());
  } else {
    spdlog::warn("gateway: no spec.gateway.api_keys_file: it takes requests without API keys, on {} only", listen);
  }

  Handle(sdk::Envelope::kTaskResult, [this](const sdk::Envelope& e) { OnReply(e); });
  Handle(sdk::Envelope::kAck, [this](const sdk::Envelope& e) { OnReply(e); });
  Handle(sdk::Envelope::kError, [this](const sdk::Envelope& e) { OnReply(e); });
  Handle(sdk::Envelope::kStatusReply, [this](const sdk::Envelope& e) { OnStatus(e); });
  Every(kStatusEveryMs, [this] { RequestStatus(); });
  Every(1000, [this] { ExpireCalls(); });
  int64_t last_report = MonoMs();
  Every(100, [this, last_report]() mutable {
    if (MonoMs() - last_report < kReportEveryMs && metrics_.pending_records() < kReportRecords) return;
    last_report = MonoMs();
    Report();
  });

  // Asked now, not at the first tick: the port takes connections as soon as
  // it opens, and what a worker serves is unknown until the reply.
  RequestStatus();
  auto http = gateway::HttpApi::Start(std::move(o), *this, metrics_);
  if (!http.ok()) return http.status();
  http_ = std::move(http.value());
  spdlog::info("gateway {} listening on {} (model '{}')", id(), listen, typed.model);
  SetState(v1::AGENT_STATE_IDLE, "serving HTTP on " + listen);
  return Status::OK();
}

void GatewayAgent::OnDrain() {
  drain_started_mono_ = MonoMs();
  if (http_) http_->StopAccepting();
  Every(50, [this] {
    const bool idle = waiting_.empty();
    if (!idle && MonoMs() - drain_started_mono_ < kDrainGraceMs) return;
    if (!idle) spdlog::warn("gateway: {} requests still waiting after {} ms; they get 503", waiting_.size(), kDrainGraceMs);
    FailAll(503, "the gateway is stopping");
    Report();
    FinishDrain();
  });
}

void GatewayAgent::Submit(v1::Task task, Done done) {
  Post([this, task = std::move(task), done = std::move(done)]() mutable {
    sdk::Envelope e;
    *e.mutable_task() = std::move(task);
    Call(std::move(e), std::move(done));
  });
}

void GatewayAgent::SendFeedback(v1::Feedback feedback, Done done) {
  Post([this, feedback = std::move(feedback), done = std::move(done)]() mutable {
    sdk::Envelope e;
    *e.mutable_feedback() = std::move(feedback);
    Call(std::move(e), std::move(done));
  });
}

gateway::Backend::Serving GatewayAgent::Snapshot() const {
  std::unique_lock<std::mutex> lock(serving_mu_);
  // Just started: the reply to the first status request is on its way.
  first_status_.wait_for(lock, std::chrono::milliseconds(kFirstStatusWaitMs),
                         [this] { return status_heard_mono_ != 0; });
  Serving s = serving_;
  if (status_heard_mono_ == 0) {
    s.ready = false;
    s.reason = "the gateway has not heard from the runtime yet";
  } else if (MonoMs() - status_heard_mono_ > kStatusStaleMs) {
    s.ready = false;
    s.reason = "no answer from the runtime for " + std::to_string(MonoMs() - status_heard_mono_) + " ms";
  }
  return s;
}

void GatewayAgent::RequestStatus() {
  sdk::Envelope e;
  e.mutable_status_request();
  if (Status st = Send("runtime", std::move(e)); !st.ok()) spdlog::debug("status request not sent: {}", st.ToString());
}

void GatewayAgent::Call(sdk::Envelope request, Done done) {
  request.set_message_id(NewId());
  const std::string id = request.message_id();
  if (Status s = Send("runtime", std::move(request)); !s.ok()) {
    done(gateway::Backend::Reply{503, "the runtime cannot be reached: " + s.message(), {}});
    return;
  }
  waiting_[id] = Waiting{std::move(done), MonoMs() + request_timeout_ms_ + 5000};
}

void GatewayAgent::OnReply(const sdk::Envelope& e) {
  auto it = waiting_.find(e.correlation_id());
  if (it == waiting_.end()) {
    if (e.has_error()) spdlog::warn("runtime: {}", e.error().message());
    return;  // answered after its HTTP request gave up (504): the client's retry gets it
  }
  Done done = std::move(it->second.done);
  waiting_.erase(it);
  gateway::Backend::Reply r;
  if (e.has_task_result()) {
    r.result = e.task_result();
  } else if (e.has_ack()) {
    r.message = e.ack().detail();
  } else {
    r.status = HttpStatusOf(e.error().code());
    r.message = e.error().message();
  }
  done(std::move(r));
}

void GatewayAgent::OnStatus(const sdk::Envelope& e) {
  const v1::StatusReply& s = e.status_reply();
  Serving next;
  json router = json::parse(s.router_json(), nullptr, false);
  if (router.is_object()) {
    next.serving_version = router.value("serving", "");
    next.traffic = router.value("traffic", "");
  }
  for (const v1::AgentStatus& a : s.agents()) {
    if (a.role() != "worker") continue;
    const bool serves = a.connected() && !a.model_version().empty() &&
                        (a.state() == v1::AGENT_STATE_IDLE || a.state() == v1::AGENT_STATE_BUSY);
    next.ready = next.ready || serves;
    std::string state = v1::AgentState_Name(a.state());
    if (state.rfind("AGENT_STATE_", 0) == 0) state = state.substr(12);
    for (auto& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    next.versions.push_back({{"instance", a.id()}, {"model_version", a.model_version()}, {"state", state}});
  }
  if (s.phase() == "stopping") {
    next.ready = false;
    next.reason = "the cluster is stopping";
  } else if (!next.ready) {
    next.reason = "no worker instance is serving (starting, restarting or training its first model)";
  }
  {
    std::lock_guard<std::mutex> lock(serving_mu_);
    serving_ = std::move(next);
    status_heard_mono_ = MonoMs();
  }
  first_status_.notify_all();
}

void GatewayAgent::ExpireCalls() {
  const int64_t now = MonoMs();
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second.expires_mono > now) {
      ++it;
      continue;
    }
    it->second.done(gateway::Backend::Reply{504, "no reply from the runtime", {}});
    it = waiting_.erase(it);
  }
}

void GatewayAgent::Report() {
  sdk::Envelope e;
  *e.mutable_metrics_report() = metrics_.TakeReport();
  if (Status s = Send("runtime", std::move(e)); !s.ok()) spdlog::warn("gateway metrics not sent: {}", s.ToString());
}

void GatewayAgent::FailAll(int status, const std::string& why) {
  for (auto& [id, w] : waiting_) w.done(gateway::Backend::Reply{status, why, {}});
  waiting_.clear();
}

}  // namespace kaizen::agents
