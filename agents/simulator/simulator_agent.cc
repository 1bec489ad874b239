#include "agents/simulator/simulator_agent.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "agents/simulator/simulator_settings.h"
#include "runtime/base/clock.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

std::set<std::string> SplitList(const std::string& s) {
  std::set<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');) {
    part.erase(0, part.find_first_not_of(' '));
    part.erase(part.find_last_not_of(' ') + 1);
    if (!part.empty()) out.insert(part);
  }
  return out;
}

// How long to wait for answers still in flight once sending has stopped.
constexpr int64_t kAnswerGraceMs = 15000;

}  // namespace

Status SimulatorAgent::OnStart() {
  const json& s = settings();
  const SimulatorSettings typed = SimulatorSettings::FromAgentSettings(s);
  rng_.seed(typed.seed);
  rate_ = typed.rate_per_s;
  total_ = typed.total_tasks;
  drift_at_ = typed.drift_at_task;
  users_ = std::max<uint64_t>(1, typed.users);
  tasks_after_cycle_ = typed.tasks_after_cycle;
  max_tasks_ = typed.max_tasks;
  if (max_tasks_ == 0) max_tasks_ = 4 * total_;
  feedback_rate_ = typed.feedback_rate;
  feedback_noise_ = typed.feedback_noise;
  tally_ = ScenarioTally(AnswerRating::FromSettings(s));
  Status st = LoadPools();
  if (!st.ok()) return st;

  if (typed.via == SimulatorSettings::Via::kGateway) {
    auto options = GatewayTraffic::OptionsFromSettings(s);
    if (!options.ok()) return options.status();
    auto route = GatewayRoute::FromSettings(s);
    if (!route.ok()) return route.status();
    max_in_flight_ = std::max<uint64_t>(1, typed.max_in_flight);
    spdlog::info("simulator: via the gateway at {} (POST {}{}), at most {} requests in flight on up to {} connections",
                 options->base_url, route->path(), route->stream ? ", streamed" : "", max_in_flight_,
                 options->max_connections);
    gateway_ = std::make_unique<GatewayTraffic>(std::move(*options), std::move(*route));
  } else {
    Handle(sdk::Envelope::kTaskResult, [this](const sdk::Envelope& e) { OnResult(e); });
  }
  Handle(sdk::Envelope::kError, [](const sdk::Envelope& e) {
    spdlog::warn("runtime refused a request: {}", e.error().message());
  });
  OnEvent("cycle_transition", [this](const sdk::Envelope& e) { OnCycle(e); });
  started_ms_ = MonoMs();
  tick_timer_ = Every(10, [this] { OnTick(); });
  if (gateway_) {
    pump_timer_ = Every(5, [this] { OnPump(); });
    SetState(v1::AGENT_STATE_STARTING, "waiting for the gateway at " + gateway_->base_url() + " to be ready");
    return Status::OK();
  }
  SetState(v1::AGENT_STATE_BUSY, "sending tasks at " + std::to_string(static_cast<int>(rate_)) + "/s");
  return Status::OK();
}

Status SimulatorAgent::LoadPools() {
  const json& s = settings();
  const std::string dataset = s.value("dataset", "");
  const json data = s.value("cluster", json::object()).value("spec", json::object()).value("data", json::object());
  if (!data.contains(dataset)) return Status::InvalidArgument("simulator dataset '" + dataset + "' is not in spec.data");
  const std::string path = data[dataset].value("path", "");
  const SimulatorSettings typed = SimulatorSettings::FromAgentSettings(s);
  const std::set<std::string> splits = SplitList(typed.split);
  const std::set<std::string> before(typed.before_drift_domains.begin(), typed.before_drift_domains.end());
  const std::set<std::string> after(typed.after_drift_domains.begin(), typed.after_drift_domains.end());

  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read simulator data " + path);
  size_t bad = 0;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      bad += !line.empty();
      continue;
    }
    Item item{j["text"].get<std::string>(), j.value("label", j.value("intent", std::string())), j.value("domain", "")};
    if (item.label.empty() || (!splits.empty() && !splits.count(j.value("split", "")))) continue;
    if (before.empty() || before.count(item.domain)) before_.items.push_back(item);
    if (after.empty() || after.count(item.domain)) after_.items.push_back(item);
  }
  if (bad) spdlog::warn("simulator data {}: {} lines skipped (not a JSON object with text)", path, bad);
  if (before_.items.empty() || after_.items.empty()) {
    return Status::InvalidArgument("simulator data " + path + " has no examples for the splits and domains given");
  }
  for (Pool* p : {&before_, &after_}) {
    p->order.resize(p->items.size());
    for (size_t i = 0; i < p->order.size(); ++i) p->order[i] = i;
    std::shuffle(p->order.begin(), p->order.end(), rng_);
  }
  spdlog::info("simulator: {} examples before the drift, {} after, drift at task {}", before_.items.size(),
               after_.items.size(), drift_at_);
  return Status::OK();
}

const SimulatorAgent::Item& SimulatorAgent::Draw(Pool& pool) {
  if (pool.next == pool.order.size()) {  // a new pass, in a new order
    std::shuffle(pool.order.begin(), pool.order.end(), rng_);
    pool.next = 0;
  }
  return pool.items[pool.order[pool.next++]];
}

// Before the first task: true once GET /readyz said 200 (the pace starts then).
bool SimulatorAgent::WaitForGateway() {
  if (gateway_started_) return true;
  if (!gateway_->ready()) OnPump();  // the pump timer may have seen it ready first
  if (!gateway_->ready()) {
    const std::string& why = gateway_->not_ready_reason();
    SetState(v1::AGENT_STATE_STARTING,
             "waiting for the gateway at " + gateway_->base_url() + " to be ready" + (why.empty() ? "" : ": " + why));
    return false;
  }
  gateway_started_ = true;
  started_ms_ = MonoMs();
  SetState(v1::AGENT_STATE_BUSY, "sending tasks at " + std::to_string(static_cast<int>(rate_)) + "/s to the gateway at " +
                                     gateway_->base_url());
  return true;
}

void SimulatorAgent::OnTick() {
  if (sending_done_) {
    const bool settled = tally_.outstanding() == 0 && (!gateway_ || gateway_->outstanding() == 0);
    if (!reported_ && (settled || MonoMs() - sending_done_ms_ > kAnswerGraceMs)) Finish();
    return;
  }
  if (gateway_ && !WaitForGateway()) return;
  const double elapsed_s = static_cast<double>(MonoMs() - started_ms_) / 1000.0;
  // Catch up at most one second's worth after a stall, not a burst of minutes.
  const uint64_t due = static_cast<uint64_t>(elapsed_s * rate_);
  uint64_t budget = static_cast<uint64_t>(std::max(1.0, rate_));
  while (next_index_ <= due && budget-- > 0) {
    if (ScenarioOver()) {
      sending_done_ = true;
      sending_done_ms_ = MonoMs();
      SetState(v1::AGENT_STATE_BUSY, "all tasks sent; waiting for " + std::to_string(tally_.outstanding()) + " answers");
      return;
    }
    if (gateway_ && gateway_->outstanding() >= max_in_flight_) {
      // Due, but max_in_flight requests are out: these wait (each counted once).
      const uint64_t sent = next_index_ - 1;
      if (due > delayed_through_) {
        delayed_ += due - std::max(delayed_through_, sent);
        delayed_through_ = due;
      }
      max_backlog_ = std::max(max_backlog_, due - sent);
      break;
    }
    SendOne();
  }
  if (gateway_) OnPump();  // start what was just queued now, not on the next pump
  if (next_index_ % 1000 == 0) {
    SetState(v1::AGENT_STATE_BUSY, "task " + std::to_string(next_index_ - 1) + ", " +
                                       std::to_string(tally_.answered()) + " answered");
  }
}

bool SimulatorAgent::ScenarioOver() const {
  const uint64_t sent = next_index_ - 1;
  if (sent >= max_tasks_) return true;
  if (sent < total_ || cycle_active_) return false;
  return cycles_ended_ == 0 || sent >= last_cycle_end_sent_ + tasks_after_cycle_;
}

void SimulatorAgent::SendOne() {
  const uint64_t index = next_index_++;
  const bool drifted = index > drift_at_;
  const Item& item = Draw(drifted ? after_ : before_);
  const std::string task_id = "sim-" + std::to_string(index);
  const std::string user = "user-" + std::to_string(rng_() % users_);
  auto phase = promoted_ ? ScenarioTally::Phase::kAfterPromotion
                         : (drifted ? ScenarioTally::Phase::kAfterDrift : ScenarioTally::Phase::kBeforeDrift);
  tally_.Sent(task_id, index, phase, item.label, cycle_active_);
  if (gateway_) {
    gateway_->SendTask(task_id, item.text, user, item.domain);
    return;
  }
  sdk::Envelope e;
  auto* t = e.mutable_task();
  t->set_task_id(task_id);
  t->set_routing_key(user);
  t->set_input(item.text);
  if (!item.domain.empty()) (*t->mutable_tags())["domain"] = item.domain;
  t->set_submitted_ms(WallMs());
  (void)Send("runtime", std::move(e));
}

std::optional<bool> SimulatorAgent::Rate(bool right) {
  std::uniform_real_distribution<double> u(0, 1);
  if (u(rng_) >= feedback_rate_) return std::nullopt;
  return right != (u(rng_) < feedback_noise_);
}

void SimulatorAgent::OnPump() {
  for (GatewayTraffic::TaskOutcome& o : gateway_->Poll()) {
    if (!o.answered) {
      tally_.Failed(o.task_id);
      continue;
    }
    bool duplicate = false;
    const bool right = tally_.Answered(o.task_id, o.output, &duplicate, o.deferral);
    if (duplicate) {
      spdlog::error("task {} answered twice", o.task_id);
      continue;
    }
    if (auto thumbs_up = Rate(right)) gateway_->SendFeedback(o.task_id, o.user, *thumbs_up);
  }
}

void SimulatorAgent::OnResult(const sdk::Envelope& e) {
  const auto& r = e.task_result();
  auto tag = [&r](const char* name) {
    auto it = r.tags().find(name);
    return it == r.tags().end() ? std::string() : it->second;
  };
  const Deferral deferral = Deferral::From(tag("deferred"), tag("deferred_cost"));
  if (deferral.cost_unreadable && !warned_deferred_cost_) {
    warned_deferred_cost_ = true;
    spdlog::warn("simulator: task {} was deferred to {} with deferred_cost '{}', not a number >= 0; such costs count "
                 "as 0 (further ones are not logged)",
                 r.task_id(), deferral.teacher, tag("deferred_cost"));
  }
  bool duplicate = false;
  bool right = tally_.Answered(r.task_id(), r.output(), &duplicate, deferral);
  if (duplicate) {
    spdlog::error("task {} answered twice", r.task_id());
    return;
  }
  const std::optional<bool> thumbs_up = Rate(right);
  if (!thumbs_up) return;
  sdk::Envelope f;
  auto* fb = f.mutable_feedback();
  fb->set_task_id(r.task_id());
  fb->set_kind(*thumbs_up ? v1::Feedback::THUMBS_UP : v1::Feedback::THUMBS_DOWN);
  fb->set_source("simulator");
  (void)Send("runtime", std::move(f));
}

void SimulatorAgent::OnCycle(const sdk::Envelope& e) {
  const auto& ct = e.cycle_transition();
  switch (ct.to()) {
    case v1::CYCLE_STAGE_TRIGGERED:
      cycle_active_ = true;
      if (gateway_) gateway_->EndRollout();  // a new cycle: nothing before it is compared with its rollout
      return;
    case v1::CYCLE_STAGE_PROMOTED:
      promoted_ = true;
      tally_.Promoted();
      [[fallthrough]];
    case v1::CYCLE_STAGE_ROLLED_BACK:
    case v1::CYCLE_STAGE_ABORTED:
      if (gateway_) gateway_->EndRollout();  // sticky arms are compared within one rollout
      cycle_active_ = false;
      ++cycles_ended_;
      last_cycle_end_sent_ = next_index_ - 1;
      return;
    default:
      cycle_active_ = true;  // joined mid-cycle
  }
}

void SimulatorAgent::Finish() {
  reported_ = true;
  Cancel(tick_timer_);
  json report = tally_.ToJson();
  report["drift_at_task"] = drift_at_;
  report["rate_per_s"] = rate_;
  if (gateway_) {
    json http = gateway_->ToJson();
    http["max_in_flight"] = max_in_flight_;
    http["tasks_delayed"] = delayed_;  // due while max_in_flight requests were out
    http["max_backlog"] = max_backlog_;
    report["http"] = std::move(http);
  }
  sdk::Envelope e;
  e.mutable_scenario_report()->set_json(report.dump());
  (void)Send("runtime", std::move(e));
  char detail[160];
  std::snprintf(detail, sizeof detail, "scenario over: %llu tasks, %llu answered, accuracy %.3f before drift",
                static_cast<unsigned long long>(tally_.sent()), static_cast<unsigned long long>(tally_.answered()),
                tally_.Accuracy(ScenarioTally::Phase::kBeforeDrift));
  SetState(v1::AGENT_STATE_IDLE, detail);
}

}  // namespace kaizen::agents
