#include "agents/sdk/agent_runner.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/bus/curve_keys.h"
#include "runtime/bus/envelope_codec.h"

namespace kaizen::sdk {
namespace {
constexpr const char* kRuntime = "runtime";
constexpr int64_t kHelloRetryMs = 1000;

// Shown by the runtime for an agent it did not start (placement external).
std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}
}  // namespace

AgentRunner::AgentRunner(Agent& agent, RunOptions options) : agent_(agent), options_(std::move(options)) {
  agent_.id_ = options_.id;
  agent_.role_ = options_.role;
  agent_.runner_ = this;
}

Status AgentRunner::SendHello() {
  Envelope e = bus::MakeEnvelope(options_.id, kRuntime);
  auto* hello = e.mutable_hello();
  hello->set_role(options_.role);
  hello->set_pid(::getpid());
  hello->set_host(HostName());
  hello->set_build_version(KAIZEN_VERSION);
  hello->set_model_version(agent_.model_version_);
  last_hello_ms_ = MonoMs();
  return client_->Send(e);
}

Status AgentRunner::Send(Envelope& envelope) {
  if (envelope.sender().empty()) envelope.set_sender(options_.id);
  return client_->Send(envelope);
}

void AgentRunner::ReportState() {
  if (!registered_) return;  // reported again right after (re)registration
  Envelope e = bus::MakeEnvelope(options_.id, kRuntime);
  auto* sc = e.mutable_state_change();
  sc->set_agent_id(options_.id);
  sc->set_role(options_.role);
  sc->set_to(agent_.state_);
  sc->set_detail(agent_.detail_);
  sc->set_model_version(agent_.model_version_);
  sc->set_pid(::getpid());
  Status s = client_->Send(e);
  if (!s.ok()) spdlog::warn("state report not sent: {}", s.ToString());
}

void AgentRunner::RequestExit(int code) {
  exit_ = true;
  exit_code_ = code;
}

void AgentRunner::OnWelcome(const Envelope& e) {
  const auto& w = e.welcome();
  registered_ = true;
  heartbeat_interval_ms_ = std::max<int64_t>(10, w.heartbeat_interval_ms());
  liveness_ = std::max(2, w.liveness());
  agent_.cluster_ = w.cluster();
  agent_.state_dir_ = w.state_dir();
  if (!w.settings_json().empty()) {
    agent_.settings_ = nlohmann::json::parse(w.settings_json(), nullptr, /*allow_exceptions=*/false);
    if (agent_.settings_.is_discarded()) {
      spdlog::error("runtime sent settings that are not JSON; using none");
      agent_.settings_ = nlohmann::json::object();
    }
  }
  if (heartbeat_timer_) timers_.Cancel(heartbeat_timer_);
  heartbeat_timer_ = timers_.Add(MonoMs() + heartbeat_interval_ms_, heartbeat_interval_ms_, [this] { OnHeartbeatTimer(); });

  if (!started_) {
    started_ = true;
    spdlog::info("registered with cluster '{}' as {} ({})", w.cluster(), options_.id, options_.role);
    Status s = agent_.OnStart();
    if (!s.ok()) {
      spdlog::error("start failed: {}", s.ToString());
      agent_.SetState(v1::AGENT_STATE_FAILED, s.message());
      RequestExit(1);
      return;
    }
    if (agent_.state_ == v1::AGENT_STATE_STARTING && agent_.detail_.empty()) agent_.SetState(v1::AGENT_STATE_IDLE, "");
    // Event handlers are registered in OnStart: subscribe once they are known.
    if (!client_->events() && !agent_.event_handlers_.empty() && !w.events_endpoint().empty()) {
      std::vector<std::string> topics;
      for (const auto& [prefix, _] : agent_.event_handlers_) topics.push_back(prefix);
      Status s = client_->SubscribeEvents(w.events_endpoint(), topics);
      if (!s.ok()) spdlog::error("cannot subscribe to events: {}", s.ToString());
    }
    ReportState();  // SetState may have been a no-op if nothing changed
  } else {
    spdlog::info("re-registered with the runtime");
    ReportState();
  }
}

void AgentRunner::OnControl(const Envelope& e) {
  last_heard_ms_ = MonoMs();
  switch (e.body_case()) {
    case Envelope::kWelcome:
      OnWelcome(e);
      return;
    case Envelope::kHeartbeat:
      return;
    case Envelope::kError:
      if (e.error().code() == v1::Error::NOT_REGISTERED) {
        // The runtime restarted or forgot us: register again.
        registered_ = false;
        if (MonoMs() - last_hello_ms_ > 200) (void)SendHello();
        return;
      }
      break;
    case Envelope::kCommand:
      if (e.command().kind() == v1::Command::DRAIN) {
        BeginDrain("drain requested" + (e.command().reason().empty() ? "" : ": " + e.command().reason()));
        return;
      }
      break;
    default:
      break;
  }
  Dispatch(e);
}

void AgentRunner::Dispatch(const Envelope& e) {
  auto it = agent_.handlers_.find(e.body_case());
  if (it == agent_.handlers_.end()) {
    if (e.body_case() == Envelope::kError) {
      spdlog::warn("runtime error: {}", e.error().message());
    } else {
      spdlog::debug("no handler for {} from {}", bus::BodyName(e), e.sender());
    }
    return;
  }
  try {
    it->second(e);
  } catch (const std::exception& ex) {
    // A handler bug must not take the agent down with a message half-handled.
    spdlog::error("handler for {} threw: {}", bus::BodyName(e), ex.what());
  }
}

void AgentRunner::OnEvent(const bus::BusClient::Event& event) {
  for (const auto& [prefix, handler] : agent_.event_handlers_) {
    if (event.topic.rfind(prefix, 0) == 0) {
      try {
        handler(event.envelope);
      } catch (const std::exception& ex) {
        spdlog::error("event handler for {} threw: {}", event.topic, ex.what());
      }
    }
  }
}

void AgentRunner::OnHeartbeatTimer() {
  int64_t now = MonoMs();
  if (now - last_heard_ms_ > heartbeat_interval_ms_ * liveness_) {
    // Paranoid Pirate: the runtime went silent; start a fresh connection.
    spdlog::warn("runtime silent for {} ms; reconnecting", now - last_heard_ms_);
    registered_ = false;
    Status s = client_->Reconnect();
    if (!s.ok()) spdlog::error("reconnect failed: {}", s.ToString());
    last_heard_ms_ = now;  // give the new connection a full liveness budget
    (void)SendHello();
    return;
  }
  Envelope e = bus::MakeEnvelope(options_.id, kRuntime);
  e.mutable_heartbeat()->set_sent_ms(WallMs());
  (void)client_->Send(e);
}

void AgentRunner::BeginDrain(const std::string& why) {
  if (draining_) return;
  draining_ = true;
  spdlog::info("draining: {}", why);
  agent_.SetState(v1::AGENT_STATE_DRAINING, why);
  agent_.OnDrain();
}

int AgentRunner::Run() {
  auto signals = SignalFd::Create({SIGTERM, SIGINT});
  if (!signals.ok()) {
    spdlog::error("{}", signals.status().ToString());
    return 1;
  }
  bus::BusClient::Options copts;
  copts.identity = options_.id;
  copts.control_endpoint = options_.control_endpoint;
  copts.linger_ms = 500;  // let the final `stopped` report leave before exit
  if (!options_.key_file.empty() || !options_.server_key.empty()) {
    auto keys = bus::ReadSecretKeyFile(options_.key_file);
    if (!keys.ok()) {
      spdlog::error("CURVE: {}", keys.status().ToString());
      return 1;
    }
    // The runtime's public key as text, or (an agent started on another
    // host by hand) the runtime.pub file copied from the runtime's host.
    copts.curve_server_key = options_.server_key;
    if (!bus::IsZ85Key(options_.server_key)) {
      auto server = bus::ReadPublicKeyFile(options_.server_key);
      if (!server.ok()) {
        spdlog::error("CURVE: --server-key is neither a Z85 key nor a readable key file: {}",
                      server.status().ToString());
        return 1;
      }
      copts.curve_server_key = *server;
    }
    copts.curve_keys = *keys;
  }
  auto client = bus::BusClient::Connect(context_, copts);
  if (!client.ok()) {
    spdlog::error("{}", client.status().ToString());
    return 1;
  }
  client_ = std::move(client.value());
  spdlog::info("agent {} ({}) connecting to {}", options_.id, options_.role, options_.control_endpoint);
  (void)SendHello();
  int64_t started = MonoMs();
  last_heard_ms_ = started;

  while (!exit_) {
    int64_t now = MonoMs();
    if (!registered_ && !started_) {
      if (now - started > options_.register_timeout_ms) {
        spdlog::error("no answer from the runtime at {} within {} ms; exiting", options_.control_endpoint,
                      options_.register_timeout_ms);
        return 1;
      }
      if (now - last_hello_ms_ > kHelloRetryMs) (void)SendHello();
    }
    int64_t timeout = timers_.MsUntilNext(now);
    if (timeout < 0 || timeout > 200) timeout = 200;

    zmq::pollitem_t items[4] = {
        {client_->control().handle(), 0, ZMQ_POLLIN, 0},
        {nullptr, signals->fd(), ZMQ_POLLIN, 0},
        {nullptr, agent_.mailbox_->fd(), ZMQ_POLLIN, 0},
        {client_->events() ? client_->events()->handle() : nullptr, -1, ZMQ_POLLIN, 0},
    };
    int n_items = client_->events() ? 4 : 3;
    try {
      zmq::poll(items, n_items, std::chrono::milliseconds(timeout));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) spdlog::warn("poll: {}", e.what());
    }
    if (items[1].revents & ZMQ_POLLIN) {
      while (auto sig = signals->Read()) BeginDrain(std::string("received ") + strsignal(*sig));
    }
    if (items[0].revents & ZMQ_POLLIN) {
      for (int i = 0; i < 1000; ++i) {  // bounded, so timers still run under load
        auto msg = client_->Receive(0);
        if (!msg) break;
        OnControl(*msg);
        if (exit_) break;
      }
    }
    if (items[2].revents & ZMQ_POLLIN) {
      for (auto& fn : agent_.mailbox_->Take()) {
        fn();
        if (exit_) break;
      }
    }
    if (n_items == 4 && (items[3].revents & ZMQ_POLLIN)) {
      for (int i = 0; i < 1000; ++i) {
        auto ev = client_->ReceiveEvent(0);
        if (!ev) break;
        OnEvent(*ev);
      }
    }
    timers_.RunDue(MonoMs());
  }
  spdlog::info("agent {} exiting with code {}", options_.id, exit_code_);
  return exit_code_;
}

}  // namespace kaizen::sdk
