#include "agents/simulator/gateway_traffic.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/base/text.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

constexpr int64_t kProbeEveryMs = 200;

// Nearest-rank percentile of an unsorted sample; 0 when empty.
double GatewayPercentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// The message of an OpenAI-shaped error body, or the body itself, short.
std::string GatewayErrorMessage(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("message") &&
      j["error"]["message"].is_string()) {
    return Abbreviate(j["error"]["message"].get<std::string>(), 200);
  }
  return Abbreviate(Trim(body), 200);
}

}  // namespace

Result<HttpTrafficOptions> GatewayTraffic::OptionsFromSettings(const json& settings) {
  HttpTrafficOptions o;
  const json spec = settings.value("cluster", json::object()).value("spec", json::object());
  const json gateway = spec.value("gateway", json::object());
  o.base_url = settings.value("gateway_url", "");
  if (o.base_url.empty()) {
    if (!spec.contains("gateway")) {
      return Status::InvalidArgument("simulator via gateway: no spec.gateway section and no simulator.gateway_url");
    }
    o.base_url = UrlForListen(gateway.value("listen", "127.0.0.1:8080"));
  }
  if (o.base_url.rfind("http://", 0) != 0 && o.base_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("simulator.gateway_url '" + o.base_url + "' must start with http:// or https://");
  }
  const std::string key_file = settings.value("api_key_file", "");
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    if (!in) return Status::IOError("cannot read simulator.api_key_file " + key_file);
    std::stringstream ss;
    ss << in.rdbuf();
    o.api_key = Trim(ss.str());
    if (o.api_key.empty()) return Status::InvalidArgument("simulator.api_key_file " + key_file + " is empty");
  }
  const int64_t max_in_flight = std::max<int64_t>(1, settings.value("max_in_flight", int64_t{256}));
  int64_t cap = 64;
  if (spec.contains("gateway")) {
    const int64_t threads = gateway.value("threads", int64_t{64}) * std::max<int64_t>(1, gateway.value("replicas", int64_t{1}));
    cap = std::max<int64_t>(1, threads * 3 / 4);
  }
  o.max_connections = static_cast<size_t>(std::min(max_in_flight, cap));
  o.timeout_ms = spec.contains("gateway") ? gateway.value("request_timeout_ms", int64_t{30000}) + 5000 : 60000;
  o.jitter_seed = settings.value("seed", uint64_t{7});
  return o;
}

std::string GatewayTraffic::UrlForListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : listen.substr(colon);
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  return "http://" + host + port;
}

GatewayTraffic::GatewayTraffic(HttpTrafficOptions options) : http_(std::move(options)) {}

size_t GatewayTraffic::outstanding() const { return sent_.size() - (probing_ ? 1 : 0); }

void GatewayTraffic::SendTask(const std::string& task_id, const std::string& input, const std::string& user,
                              const std::string& domain) {
  json body = {{"input", input}, {"user", user}};
  if (!domain.empty()) body["tags"] = {{"domain", domain}};
  HttpRequest r;
  r.path = "/v1/tasks";
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.idempotency_key = task_id;
  sent_[http_.Submit(std::move(r))] = Sent{Kind::kTask, task_id, user};
  ++tasks_sent_;
}

void GatewayTraffic::SendFeedback(const std::string& task_id, const std::string& user, bool thumbs_up) {
  HttpRequest r;
  r.path = "/v1/feedback";
  r.body = json{{"id", task_id}, {"thumbs", thumbs_up ? "up" : "down"}, {"user", user}}.dump();
  r.idempotency_key = "fb-" + task_id;
  sent_[http_.Submit(std::move(r))] = Sent{Kind::kFeedback, task_id, user};
  ++feedback_sent_;
}

std::vector<GatewayTraffic::TaskOutcome> GatewayTraffic::Poll() {
  if (!ready_ && !probing_ && MonoMs() >= next_probe_ms_) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/readyz";
    r.retry = false;
    r.in_stats = false;
    sent_[http_.Submit(std::move(r))] = Sent{Kind::kProbe, "", ""};
    probing_ = true;
    ++probes_;
    if (first_probe_ms_ < 0) first_probe_ms_ = MonoMs();
  }
  std::vector<TaskOutcome> out;
  for (HttpCompletion& c : http_.Poll()) {
    auto it = sent_.find(c.id);
    if (it == sent_.end()) continue;
    const Sent s = std::move(it->second);
    sent_.erase(it);
    switch (s.kind) {
      case Kind::kTask: OnTask(s, c, &out); break;
      case Kind::kFeedback: OnFeedback(s, c); break;
      case Kind::kProbe: OnProbe(c); break;
    }
  }
  return out;
}

void GatewayTraffic::OnProbe(const HttpCompletion& c) {
  probing_ = false;
  if (c.status == 200) {
    ready_ = true;
    ready_after_ms_ = MonoMs() - first_probe_ms_;
    not_ready_reason_.clear();
    spdlog::info("simulator: the gateway at {} is ready", base_url());
    return;
  }
  // Words that stay the same from probe to probe, so the state detail changes only when the reason does.
  not_ready_reason_ = c.status == 0 ? "GET /readyz: " + HttpTraffic::TransportErrorName(c.transport_code)
                                    : "GET /readyz answered " + std::to_string(c.status);
  next_probe_ms_ = MonoMs() + kProbeEveryMs;
}

void GatewayTraffic::Failed(const char* kind, const std::string& id, const HttpCompletion& c, std::string* error) {
  const std::string status = c.status == 0 ? "transport" : std::to_string(c.status);
  *error = c.status == 0 ? c.error : "HTTP " + status + ": " + GatewayErrorMessage(c.body);
  if (c.attempts > 1) *error += " (after " + std::to_string(c.attempts) + " attempts)";
  (std::string(kind) == "task" ? tasks_failed_ : feedback_failed_)[status]++;
  if (logged_.insert(std::string(kind) + " " + status).second) {
    spdlog::warn("simulator: {} {} failed: {} (further {} failures with this status are counted, not logged)", kind,
                 id, *error, kind);
  }
}

void GatewayTraffic::OnTask(const Sent& s, const HttpCompletion& c, std::vector<TaskOutcome>* out) {
  TaskOutcome o;
  o.task_id = s.task_id;
  o.user = s.user;
  o.status = c.status;
  if (c.status == 200) {
    json j = json::parse(c.body, nullptr, false);
    if (j.is_object() && j.contains("output") && j["output"].is_string()) {
      o.answered = true;
      o.output = j["output"].get<std::string>();
      ++tasks_answered_;
      latency_ms_.push_back(c.latency_ms);
      if (j.contains("arm") && j["arm"].is_string()) ++arms_[j["arm"].get<std::string>()];
      if (j.contains("id") && j["id"].is_string() && j["id"] != s.task_id && logged_.insert("task id mismatch").second) {
        spdlog::warn("simulator: task {} was answered with id {}", s.task_id, j["id"].get<std::string>());
      }
    } else {
      o.error = "HTTP 200 without an output: " + Abbreviate(c.body, 200);
      ++tasks_failed_["200 without output"];
      if (logged_.insert("task 200 without output").second) spdlog::warn("simulator: task {}: {}", s.task_id, o.error);
    }
  } else {
    Failed("task", s.task_id, c, &o.error);
  }
  out->push_back(std::move(o));
}

void GatewayTraffic::OnFeedback(const Sent& s, const HttpCompletion& c) {
  if (c.status == 200) {
    ++feedback_ok_;
    return;
  }
  std::string error;
  Failed("feedback", "for " + s.task_id, c, &error);
}

json GatewayTraffic::ToJson() const {
  json j = http_.stats().ToJson();
  j["url"] = base_url();
  j["connections_max"] = http_.options().max_connections;
  j["tasks"] = {{"sent", tasks_sent_}, {"answered", tasks_answered_}, {"failed", tasks_failed_}};
  j["feedback"] = {{"sent", feedback_sent_}, {"ok", feedback_ok_}, {"failed", feedback_failed_}};
  j["latency_ms"] = {{"p50", GatewayPercentile(latency_ms_, 0.50)}, {"p99", GatewayPercentile(latency_ms_, 0.99)}};
  j["arms"] = arms_;
  j["readiness"] = {{"probes", probes_}, {"wait_ms", ready_after_ms_}};
  return j;
}

}  // namespace kaizen::agents
