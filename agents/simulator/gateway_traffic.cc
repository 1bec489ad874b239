#include "agents/simulator/gateway_traffic.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "config/manifest_schema.h"
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

Result<GatewayRoute> GatewayRoute::FromSettings(const json& settings) {
  GatewayRoute r;
  const std::string route = config::SettingOrDefault(settings, "spec.simulator", "gateway_route").get<std::string>();
  if (route != "tasks" && route != "chat_completions") {
    return Status::InvalidArgument("simulator.gateway_route '" + route + "' is not tasks or chat_completions");
  }
  r.chat = route == "chat_completions";
  r.stream = config::SettingOrDefault(settings, "spec.simulator", "stream").get<bool>();
  if (r.stream && !r.chat) {
    return Status::InvalidArgument(
        "simulator.stream needs gateway_route: chat_completions (POST /v1/tasks does not stream)");
  }
  const json cluster = settings.value("cluster", json::object());
  const json gateway = cluster.value("spec", json::object()).value("gateway", json::object());
  r.model = gateway.value("model", "");
  if (r.model.empty()) r.model = cluster.value("name", "");
  if (r.chat && r.model.empty()) {
    return Status::InvalidArgument(
        "simulator.gateway_route chat_completions: no spec.gateway.model and no cluster name");
  }
  return r;
}

ChatStream ParseChatStream(std::string_view body) {
  ChatStream out;
  size_t at = 0;
  // Whole lines only: a last line without its newline may be cut short.
  for (size_t nl; !out.done && (nl = body.find('\n', at)) != std::string_view::npos; at = nl + 1) {
    std::string_view line = body.substr(at, nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("data:", 0) != 0) continue;  // blank lines between events, comments, event: or id: fields
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line == "[DONE]") {
      out.done = true;
      break;
    }
    json chunk = json::parse(line, nullptr, false);
    if (!chunk.is_object()) {
      if (out.error.empty()) out.error = "an event that is not a JSON object: " + Abbreviate(std::string(line), 120);
      continue;
    }
    if (chunk.contains("error")) {
      if (out.error.empty()) out.error = "an error event: " + GatewayErrorMessage(std::string(line));
      continue;
    }
    if (out.id.empty() && chunk.contains("id") && chunk["id"].is_string()) out.id = chunk["id"].get<std::string>();
    if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) continue;
    const json& choice = chunk["choices"][0];
    if (!choice.is_object() || !choice.contains("delta") || !choice["delta"].is_object()) continue;
    const json& delta = choice["delta"];
    if (delta.contains("content") && delta["content"].is_string()) out.content += delta["content"].get<std::string>();
  }
  return out;
}

Result<HttpTrafficOptions> GatewayTraffic::OptionsFromSettings(const json& settings) {
  HttpTrafficOptions o;
  const json spec = settings.value("cluster", json::object()).value("spec", json::object());
  const json gateway = spec.value("gateway", json::object());
  o.base_url = settings.value("gateway_url", "");
  if (o.base_url.empty()) {
    if (!spec.contains("gateway")) {
      return Status::InvalidArgument("simulator via gateway: no spec.gateway section and no simulator.gateway_url");
    }
    o.base_url = UrlForListen(config::SettingOrDefault(gateway, "spec.gateway", "listen").get<std::string>());
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
  const int64_t max_in_flight =
      std::max<int64_t>(1, config::SettingOrDefault(settings, "spec.simulator", "max_in_flight").get<int64_t>());
  int64_t cap = 64;
  if (spec.contains("gateway")) {
    const int64_t threads =
        config::SettingOrDefault(gateway, "spec.gateway", "threads").get<int64_t>() *
        std::max<int64_t>(1, config::SettingOrDefault(gateway, "spec.gateway", "replicas").get<int64_t>());
    cap = std::max<int64_t>(1, threads * 3 / 4);
  }
  o.max_connections = static_cast<size_t>(std::min(max_in_flight, cap));
  o.timeout_ms = spec.contains("gateway")
                     ? config::SettingOrDefault(gateway, "spec.gateway", "request_timeout_ms").get<int64_t>() + 5000
                     : 60000;
  o.jitter_seed = config::SettingOrDefault(settings, "spec.simulator", "seed").get<uint64_t>();
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

GatewayTraffic::GatewayTraffic(HttpTrafficOptions options, GatewayRoute route)
    : http_(std::move(options)), route_(std::move(route)) {}

size_t GatewayTraffic::outstanding() const { return sent_.size() - (probing_ ? 1 : 0); }

void GatewayTraffic::SendTask(const std::string& task_id, const std::string& input, const std::string& user,
                              const std::string& domain) {
  json body;
  HttpRequest r;
  r.path = route_.path();
  if (route_.chat) {
    body = {{"model", route_.model},
            {"user", user},
            {"messages", json::array({{{"role", "user"}, {"content", input}}})},
            {"stream", route_.stream}};
    if (!domain.empty()) body["metadata"] = {{"domain", domain}};
    // A stream cut before "data: [DONE]" is tried again with the same key: the gateway answers it from the task.
    if (route_.stream) {
      r.complete = [](const std::string& b) { return b.rfind('{', 0) == 0 || ParseChatStream(b).done; };
    }
  } else {
    body = {{"input", input}, {"user", user}};
    if (!domain.empty()) body["tags"] = {{"domain", domain}};
  }
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.idempotency_key = task_id;
  ++tasks_sent_;
  sent_[http_.Submit(std::move(r))] = Sent{Kind::kTask, task_id, user, tasks_sent_, rollout_};
}

void GatewayTraffic::SendFeedback(const std::string& task_id, const std::string& user, bool thumbs_up) {
  HttpRequest r;
  r.path = "/v1/feedback";
  r.body = json{{"id", task_id}, {"thumbs", thumbs_up ? "up" : "down"}, {"user", user}}.dump();
  r.idempotency_key = "fb-" + task_id;
  sent_[http_.Submit(std::move(r))] = Sent{Kind::kFeedback, task_id, user, 0, rollout_};
  ++feedback_sent_;
}

std::vector<GatewayTraffic::TaskOutcome> GatewayTraffic::Poll() {
  if (!ready_ && !probing_ && MonoMs() >= next_probe_ms_) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/readyz";
    r.retry = false;
    r.in_stats = false;
    sent_[http_.Submit(std::move(r))] = Sent{Kind::kProbe, "", "", 0, rollout_};
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

bool GatewayTraffic::ReadAnswer(const HttpCompletion& c, std::string* output, std::string* id, std::string* why,
                                bool* incomplete) const {
  *incomplete = false;
  if (route_.stream && c.body.rfind('{', 0) != 0) {
    ChatStream stream = ParseChatStream(c.body);
    if (!stream.done) {
      *incomplete = true;
      *why = "the event stream ended before data: [DONE]";
      return false;
    }
    if (!stream.error.empty()) {
      *why = stream.error;
      return false;
    }
    *output = std::move(stream.content);
    *id = std::move(stream.id);
    return true;
  }
  json j = json::parse(c.body, nullptr, false);
  if (j.is_object() && j.contains("id") && j["id"].is_string()) *id = j["id"].get<std::string>();
  if (!route_.chat) {
    if (j.is_object() && j.contains("output") && j["output"].is_string()) {
      *output = j["output"].get<std::string>();
      return true;
    }
    *why = "without an output";
    return false;
  }
  if (j.is_object() && j.contains("choices") && j["choices"].is_array() && !j["choices"].empty() &&
      j["choices"][0].is_object() && j["choices"][0].contains("message") && j["choices"][0]["message"].is_object()) {
    const json& m = j["choices"][0]["message"];
    if (m.contains("content") && m["content"].is_string()) {
      *output = m["content"].get<std::string>();
      return true;
    }
  }
  *why = "without choices[0].message.content";
  return false;
}

void GatewayTraffic::OnTask(const Sent& s, const HttpCompletion& c, std::vector<TaskOutcome>* out) {
  TaskOutcome o;
  o.task_id = s.task_id;
  o.user = s.user;
  o.status = c.status;
  if (c.status == 200) {
    std::string id, why;
    bool incomplete = false;
    if (ReadAnswer(c, &o.output, &id, &why, &incomplete)) {
      o.answered = true;
      ++tasks_answered_;
      latency_ms_.push_back(c.latency_ms);
      auto header = [&c](const char* name) {
        auto it = c.headers.find(name);
        return it == c.headers.end() ? std::string() : it->second;
      };
      o.arm = header("x-kaizen-arm");
      o.model_version = header("x-kaizen-model-version");
      o.deferral = Deferral::From(header("x-kaizen-deferred"), header("x-kaizen-deferred-cost"));
      if (o.arm.empty() || o.model_version.empty() || !o.deferral.deferred()) {  // /v1/tasks says them in its body too
        json j = route_.chat ? json() : json::parse(c.body, nullptr, false);
        if (o.arm.empty() && j.is_object() && j.contains("arm") && j["arm"].is_string()) o.arm = j["arm"].get<std::string>();
        if (o.model_version.empty() && j.is_object() && j.contains("model_version") && j["model_version"].is_string()) {
          o.model_version = j["model_version"].get<std::string>();
        }
        if (!o.deferral.deferred()) o.deferral = Deferral::FromTaskJson(j);
      }
      if (o.deferral.cost_unreadable && logged_.insert("deferred cost").second) {
        spdlog::warn("simulator: task {} was deferred to {} with a cost that is not a number >= 0; such costs count "
                     "as 0 (further ones are not logged)",
                     s.task_id, o.deferral.teacher);
      }
      if (!o.arm.empty()) ++arms_[o.arm];
      if (!o.model_version.empty()) ++model_versions_[o.model_version];
      TrackArm(s, o.arm);
      if (!id.empty() && id != s.task_id && logged_.insert("task id mismatch").second) {
        spdlog::warn("simulator: task {} was answered with id {}", s.task_id, id);
      }
    } else {
      o.error = "HTTP 200 " + why + (incomplete ? "" : ": " + Abbreviate(c.body, 200));
      if (c.attempts > 1) o.error += " (after " + std::to_string(c.attempts) + " attempts)";
      const std::string kind = incomplete ? "200 incomplete stream" : "200 without output";
      ++tasks_failed_[kind];
      if (logged_.insert("task " + kind).second) spdlog::warn("simulator: task {}: {}", s.task_id, o.error);
    }
  } else {
    Failed("task", s.task_id, c, &o.error);
  }
  out->push_back(std::move(o));
}

void GatewayTraffic::TrackArm(const Sent& s, const std::string& arm) {
  if (s.rollout != rollout_ || s.user.empty()) return;  // sent before the rollout began: not comparable
  if (arm == "candidate") {
    candidate_seen_.try_emplace(s.user, CandidateSeen{tasks_sent_, s.task_id});
    return;
  }
  if (arm != "incumbent") return;
  auto it = candidate_seen_.find(s.user);
  // Sent while the candidate's answer was still out: it may have reached the router first.
  if (it == candidate_seen_.end() || s.seq <= it->second.sent_through) return;
  ++arm_flips_back_;
  if (logged_.insert("arm flip back").second) {
    spdlog::warn("simulator: {} was answered by the candidate (task {}), then by the incumbent (task {}, sent after "
                 "that answer) in the same rollout: the A/B split is not sticky (further flips are counted, not "
                 "logged)",
                 s.user, it->second.task_id, s.task_id);
  }
  candidate_seen_.erase(it);  // the user is on the incumbent now; a next flip needs a candidate answer again
}

void GatewayTraffic::EndRollout() {
  ++rollout_;
  candidate_seen_.clear();
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
  j["route"] = route_.path();
  j["stream"] = route_.stream;
  j["connections_max"] = http_.options().max_connections;
  j["tasks"] = {{"sent", tasks_sent_}, {"answered", tasks_answered_}, {"failed", tasks_failed_}};
  j["feedback"] = {{"sent", feedback_sent_}, {"ok", feedback_ok_}, {"failed", feedback_failed_}};
  j["latency_ms"] = {{"p50", GatewayPercentile(latency_ms_, 0.50)}, {"p99", GatewayPercentile(latency_ms_, 0.99)}};
  json arms = {{"serving", 0}, {"incumbent", 0}, {"candidate", 0}};
  for (const auto& [arm, n] : arms_) arms[arm] = n;
  j["arms"] = std::move(arms);
  j["arm_flips_back"] = arm_flips_back_;
  j["model_versions"] = model_versions_;
  j["readiness"] = {{"probes", probes_}, {"wait_ms", ready_after_ms_}};
  return j;
}

}  // namespace kaizen::agents
