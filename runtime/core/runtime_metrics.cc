// Runtime: the metrics it exposes (spec.runtime.metrics; docs/operations.md).
// Counts that happen once per event (answers, feedback, cycle stages) are
// added where they happen; the rest (router, bus, agents, cycle) is copied
// from the runtime's own state when a snapshot is taken, once per tick.
#include <cmath>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "runtime/base/clock.h"
#include "runtime/core/runtime.h"
#include "runtime/metrics/prometheus_text.h"

namespace kaizen::core {
namespace {

using metrics::Type;

std::string StateLabel(v1::AgentState s) {
  std::string n = v1::AgentState_Name(s);
  if (n.rfind("AGENT_STATE_", 0) == 0) n = n.substr(12);
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n;
}

void DeclareFamilies(metrics::MetricsRegistry& m) {
  const auto latency = metrics::LatencyBuckets();
  m.Declare("kaizen_tasks_submitted_total", Type::kCounter, "Tasks accepted by the router (new task ids).");
  m.Declare("kaizen_tasks_answered_total", Type::kCounter, "Tasks answered (first answer of each task).");
  m.Declare("kaizen_tasks_resent_total", Type::kCounter, "Tasks sent again after a lost, hung or draining instance.");
  m.Declare("kaizen_task_duplicate_answers_dropped_total", Type::kCounter, "Answers after the first, dropped.");
  m.Declare("kaizen_task_resubmissions_total", Type::kCounter, "Task ids submitted again (answered once, not rerun).");
  m.Declare("kaizen_tasks_in_flight", Type::kGauge, "Tasks sent to an instance and not answered yet.");
  m.Declare("kaizen_tasks_queued", Type::kGauge, "Tasks waiting for an instance that can serve.");
  m.Declare("kaizen_task_results_total", Type::kCounter, "Answers by model version and whether the worker succeeded.");
  m.Declare("kaizen_tasks_deferred_total", Type::kCounter,
            "Answers a worker deferred to a teacher (spec.worker.defer), by model version and teacher.");
  m.Declare("kaizen_deferral_cost_dollars_total", Type::kCounter, "What the deferred answers cost, by teacher.");
  m.Declare("kaizen_task_latency_seconds", Type::kHistogram,
            "Time from submission to the answer at the runtime, by model version.", latency);
  m.Declare("kaizen_worker_latency_seconds", Type::kHistogram,
            "Time the worker reports spending on a task, by model version.", latency);
  m.Declare("kaizen_feedback_total", Type::kCounter, "Feedback on answers by model version and kind.");
  m.Declare("kaizen_feedback_thumbs_up_ratio", Type::kGauge,
            "Share of thumbs up among thumbs up and down, by model version.");
  m.Declare("kaizen_cycles_started_total", Type::kCounter, "Improvement cycles triggered.");
  m.Declare("kaizen_cycle_stage_entered_total", Type::kCounter, "Times a cycle entered each stage.");
  m.Declare("kaizen_cycles_finished_total", Type::kCounter, "Cycles finished, by outcome.");
  m.Declare("kaizen_cycle_decisions_failed_total", Type::kCounter,
            "Cycle decisions that could not be recorded (a store write failed), so were not made.");
  m.Declare("kaizen_cycle_stage", Type::kGauge, "1 for the stage the latest cycle is at, 0 for the others.");
  m.Declare("kaizen_cycle_training_progress", Type::kGauge, "Training progress of the running cycle, 0..1.");
  m.Declare("kaizen_approvals_waiting", Type::kGauge, "Approvals waiting for a person (kaizen approve|reject).");
  m.Declare("kaizen_candidate_traffic_weight", Type::kGauge, "Share of traffic the candidate gets in the A/B test.");
  m.Declare("kaizen_teacher_calls_total", Type::kCounter, "Teacher calls made by the cycles of this runtime.");
  m.Declare("kaizen_teacher_cost_dollars_total", Type::kCounter, "What those teacher calls cost.");
  m.Declare("kaizen_bus_messages_total", Type::kCounter, "Bus messages by direction (received, sent, published).");
  m.Declare("kaizen_bus_dropped_total", Type::kCounter, "Bus frames dropped, by reason.");
  m.Declare("kaizen_bus_rejected_keys_total", Type::kCounter, "CURVE handshakes refused (key not listed).");
  m.Declare("kaizen_agent_up", Type::kGauge, "1 when the agent is registered on the bus.");
  m.Declare("kaizen_agent_state", Type::kGauge, "1 for the state the agent is in, 0 for the others.");
  m.Declare("kaizen_agent_restarts_total", Type::kCounter, "Restarts of the agent by the supervisor.");
  m.Declare("kaizen_people_attached", Type::kGauge, "People attached with kaizen feedback.");
  m.Declare("kaizen_journal_last_seq", Type::kGauge, "Sequence number of the last journaled event.");
  m.Declare("kaizen_runtime_start_time_seconds", Type::kGauge, "When the runtime started (Unix time).");
  // Reported by the gateway processes (MetricsReport), with their agent id.
  m.Declare("kaizen_gateway_requests_total", Type::kCounter, "HTTP requests answered by the gateway, by route and status.");
  m.Declare("kaizen_gateway_request_seconds", Type::kHistogram,
            "Time from a request's arrival at the gateway to its response, by route.", metrics::FineLatencyBuckets());
  m.Declare("kaizen_gateway_in_flight", Type::kGauge, "HTTP requests the gateway is working on.");
}

// Families an agent may report; any other name in a MetricsReport is ignored.
bool AgentReportable(const std::string& name) { return name.rfind("kaizen_gateway_", 0) == 0; }

}  // namespace

Status Runtime::StartMetrics() {
  DeclareFamilies(metrics_);
  const nlohmann::json& rt = manifest_.spec.contains("runtime") ? manifest_.spec["runtime"] : nlohmann::json::object();
  if (!rt.contains("metrics") || !rt["metrics"].is_object()) return Status::OK();
  const int port = rt["metrics"].value("port", 0);
  if (port == 0) return Status::OK();  // off
  metrics::MetricsServer::Options o;
  o.port = port;
  o.bind = rt["metrics"].value("bind", std::string("127.0.0.1"));
  auto server = metrics::MetricsServer::Start(o);
  if (!server.ok()) {
    // Serving tasks matters more than being watched: say so loudly and go on without metrics.
    spdlog::warn("{}; metrics are off", server.status().message());
    RecordClusterEvent("metrics_failed", server.status().message() + "; metrics are off");
    return Status::OK();
  }
  metrics_server_ = std::move(server.value());
  PublishMetrics();
  RecordClusterEvent("metrics", "serving " + metrics_server_->url() + "/metrics and /healthz");
  spdlog::info("metrics at {}/metrics", metrics_server_->url());
  return Status::OK();
}

void Runtime::CountAnswer(const v1::TaskResult& r, const v1::Task& task) {
  const metrics::Labels by_version{{"model_version", r.model_version()}};
  metrics_.Add("kaizen_task_results_total", {{"model_version", r.model_version()}, {"ok", r.ok() ? "true" : "false"}});
  if (r.latency_us() > 0) metrics_.Observe("kaizen_worker_latency_seconds", by_version, r.latency_us() / 1e6);
  if (auto d = r.tags().find("deferred"); d != r.tags().end()) {
    metrics_.Add("kaizen_tasks_deferred_total", {{"model_version", r.model_version()}, {"teacher", d->second}});
    auto c = r.tags().find("deferred_cost");
    const double cost = c == r.tags().end() ? 0.0 : std::strtod(c->second.c_str(), nullptr);
    if (std::isfinite(cost) && cost > 0) {
      metrics_.Add("kaizen_deferral_cost_dollars_total", {{"teacher", d->second}}, cost);
    }
  }
  if (task.submitted_ms() > 0) {
    const int64_t waited = WallMs() - task.submitted_ms();
    if (waited >= 0) metrics_.Observe("kaizen_task_latency_seconds", by_version, waited / 1e3);
  }
}

void Runtime::CountFeedback(const v1::Feedback& f) {
  std::string kind = v1::Feedback::Kind_Name(f.kind());
  for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  metrics_.Add("kaizen_feedback_total", {{"model_version", f.model_version()}, {"kind", kind}});
  if (f.kind() == v1::Feedback::THUMBS_UP || f.kind() == v1::Feedback::THUMBS_DOWN) {
    auto& [up, down] = thumbs_[f.model_version()];
    (f.kind() == v1::Feedback::THUMBS_UP ? up : down) += 1;
    metrics_.Set("kaizen_feedback_thumbs_up_ratio", {{"model_version", f.model_version()}},
                 static_cast<double>(up) / static_cast<double>(up + down));
  }
}

void Runtime::OnMetricsReport(const bus::Broker::Incoming& in) {
  const v1::MetricsReport& report = in.envelope.metrics_report();
  for (const v1::MetricPoint& p : report.points()) {
    if (!AgentReportable(p.name())) continue;
    metrics::Labels labels(p.labels().begin(), p.labels().end());
    labels["agent"] = in.identity;
    if (p.buckets_size() > 0) {
      metrics_.SetHistogram(p.name(), labels, {p.buckets().begin(), p.buckets().end()}, p.count(), p.sum());
    } else {
      metrics_.Set(p.name(), labels, p.value());
    }
  }
  if (report.requests_size() == 0 && report.requests_dropped() == 0) return;
  // The requests, one journal event per report: kaizen logs --requests.
  bus::Envelope event = bus::MakeEnvelope(kRuntimeId, "");
  *event.mutable_metrics_report()->mutable_requests() = report.requests();
  event.mutable_metrics_report()->set_requests_dropped(report.requests_dropped());
  event.mutable_metrics_report()->set_agent_id(in.identity);
  auto agent = agents_.find(in.identity);
  const std::string role = agent == agents_.end() ? "" : agent->second.role;
  if (Status s = journal_->Append("http_requests", in.identity, role, &event); !s.ok())
    spdlog::warn("requests of {} not journaled: {}", in.identity, s.ToString());
}

void Runtime::CountTransition(const cycle::CycleRecord& c, v1::CycleStage to) {
  const std::string stage = cycle::StageName(to);
  if (to == v1::CYCLE_STAGE_TRIGGERED) metrics_.Add("kaizen_cycles_started_total", {});
  metrics_.Add("kaizen_cycle_stage_entered_total", {{"stage", stage}});
  if (cycle::IsTerminal(to)) {
    metrics_.Add("kaizen_cycles_finished_total", {{"outcome", stage}});
    teacher_calls_done_ += c.teacher_calls;
    teacher_cost_done_ += c.teacher_cost;
  }
}

void Runtime::PublishMetrics() {
  if (!metrics_server_) return;
  const auto& rc = router_->counters();
  metrics_.Set("kaizen_tasks_submitted_total", {}, static_cast<double>(rc.submitted));
  metrics_.Set("kaizen_tasks_answered_total", {}, static_cast<double>(rc.answered));
  metrics_.Set("kaizen_tasks_resent_total", {}, static_cast<double>(rc.resent));
  metrics_.Set("kaizen_task_duplicate_answers_dropped_total", {}, static_cast<double>(rc.duplicate_answers));
  metrics_.Set("kaizen_task_resubmissions_total", {}, static_cast<double>(rc.duplicate_submissions));
  metrics_.Set("kaizen_tasks_in_flight", {}, static_cast<double>(router_->in_flight() - router_->queued()));
  metrics_.Set("kaizen_tasks_queued", {}, static_cast<double>(router_->queued()));

  metrics_.Clear("kaizen_cycle_stage");
  const auto& cycle = controller_->cycle();
  const bool running = controller_->running();
  if (cycle) {
    for (int s = v1::CYCLE_STAGE_TRIGGERED; s <= v1::CYCLE_STAGE_ABORTED; ++s) {
      auto stage = static_cast<v1::CycleStage>(s);
      metrics_.Set("kaizen_cycle_stage", {{"cycle", cycle->id}, {"stage", cycle::StageName(stage)}},
                   stage == cycle->stage ? 1 : 0);
    }
  }
  metrics_.Set("kaizen_cycle_training_progress", {},
               running && cycle->stage == v1::CYCLE_STAGE_TRAINING ? controller_->training_progress() : 0);
  metrics_.Set("kaizen_approvals_waiting", {}, running && cycle->stage == v1::CYCLE_STAGE_AWAITING_APPROVAL ? 1 : 0);
  metrics_.Set("kaizen_candidate_traffic_weight", {}, traffic_.split() ? traffic_.candidate_weight() : 0);
  metrics_.Set("kaizen_teacher_calls_total", {},
               static_cast<double>(teacher_calls_done_ + (running ? cycle->teacher_calls : 0)));
  metrics_.Set("kaizen_teacher_cost_dollars_total", {}, teacher_cost_done_ + (running ? cycle->teacher_cost : 0));

  const auto b = broker_->counters().ToProto();
  metrics_.Set("kaizen_bus_messages_total", {{"direction", "received"}}, static_cast<double>(b.received()));
  metrics_.Set("kaizen_bus_messages_total", {{"direction", "sent"}}, static_cast<double>(b.sent()));
  metrics_.Set("kaizen_bus_messages_total", {{"direction", "published"}}, static_cast<double>(b.published()));
  const std::pair<const char*, uint64_t> drops[] = {
      {"malformed", b.dropped_malformed()},           {"oversized", b.dropped_oversized()},
      {"unknown_sender", b.dropped_unknown_sender()}, {"forged_sender", b.dropped_forged_sender()},
      {"unexpected", b.dropped_unexpected()},         {"rate_limited", flood_->limited()}};
  for (const auto& [reason, n] : drops) {
    metrics_.Set("kaizen_bus_dropped_total", {{"reason", reason}}, static_cast<double>(n));
  }
  metrics_.Set("kaizen_bus_rejected_keys_total", {}, static_cast<double>(b.rejected_keys()));

  metrics_.Clear("kaizen_agent_state");
  int connected = 0;
  for (const auto& id : agent_order_) {
    const AgentEntry& a = agents_.at(id);
    const metrics::Labels who{{"agent", a.id}, {"role", a.role}};
    connected += a.connected ? 1 : 0;
    metrics_.Set("kaizen_agent_up", who, a.connected ? 1 : 0);
    metrics_.Set("kaizen_agent_restarts_total", who, a.restarts);
    for (int s = v1::AGENT_STATE_STARTING; s <= v1::AGENT_STATE_FAILED; ++s) {
      auto state = static_cast<v1::AgentState>(s);
      metrics_.Set("kaizen_agent_state", {{"agent", a.id}, {"role", a.role}, {"state", StateLabel(state)}},
                   state == a.state ? 1 : 0);
    }
  }
  metrics_.Set("kaizen_people_attached", {}, static_cast<double>(human_.people()));
  metrics_.Set("kaizen_journal_last_seq", {}, static_cast<double>(journal_->last_seq()));
  metrics_.Set("kaizen_runtime_start_time_seconds", {}, static_cast<double>(started_ms_) / 1000.0);

  nlohmann::json health = {{"status", stopping_ ? "stopping" : "serving"},
                           {"cluster", manifest_.name},
                           {"runtime_pid", ::getpid()},
                           {"uptime_s", (WallMs() - started_ms_) / 1000},
                           {"agents_connected", connected},
                           {"agents", agent_order_.size()},
                           {"cycle_stage", cycle ? cycle::StageName(cycle->stage) : ""}};
  metrics_server_->Publish(metrics::RenderText(metrics_), health.dump(), !stopping_);
}

}  // namespace kaizen::core
