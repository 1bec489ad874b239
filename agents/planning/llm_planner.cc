#include "agents/planning/llm_planner.h"

#include <algorithm>
#include <cmath>

#include <spdlog/fmt/fmt.h>

#include "agents/models/llm/json_reply.h"
#include "runtime/base/text.h"
#include "runtime/safety/prompt_change.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
namespace llm = models::llm;

constexpr char kSystemPrompt[] =
    "You are the planning agent of Kaizen, a runtime that improves a worker model when its quality drops. "
    "You decide how to spend a bounded budget of teacher calls on new labeled examples. "
    "Reply with one JSON object and nothing else.";

// At most this many categories are shown to the LLM (worst first).
constexpr std::size_t kMaxCategories = 8;

std::string JoinList(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The LLM's "prompt_change": the share of the prompt its plan's candidate may
// change, at most spec.planning.bounds.max_prompt_change.
void ApplyPromptChange(const RulePlanner& rules, const json& proposed, v1::Plan* plan) {
  const PlanningSettings& settings = rules.planning();
  if (!safety::ChangesPrompt(plan->strategy(), settings.training_backend)) {
    plan->add_bound_actions("LLM planner's prompt_change ignored: " + plan->strategy() + " with training backend " +
                            settings.training_backend + " changes no prompt");
    return;
  }
  if (!proposed.is_number() || proposed.get<double>() <= 0 || proposed.get<double>() > 1) {
    plan->add_bound_actions("LLM planner's prompt_change " + Abbreviate(proposed.dump(), 40) +
                            " is no share in (0, 1]; ignored");
    return;
  }
  const double share = proposed.get<double>();
  if (settings.bounds.max_prompt_change && share > *settings.bounds.max_prompt_change + 1e-9) {
    const double bound = *settings.bounds.max_prompt_change;
    plan->add_bound_actions(fmt::format("the planner LLM proposed changing {} of the prompt; cut to {} by "
                                        "spec.planning.bounds.max_prompt_change",
                                        safety::PercentText(share), safety::PercentText(bound)));
    plan->set_max_prompt_change(bound);
    return;
  }
  plan->set_max_prompt_change(share);
}

}  // namespace

std::string PlanPrompt(const v1::PlanRequest& request, const v1::Plan& rule_plan,
                       const std::vector<std::string>& categories) {
  const v1::Trigger& t = request.trigger();
  const v1::Diagnosis& d = t.diagnosis();
  std::string out = "Trigger: " + (t.reason().empty() ? t.policy() : t.reason()) + "\n";
  out += fmt::format("Thumbs-down rate: baseline {:.0f}% -> recent {:.0f}%\n", d.baseline_rate() * 100,
                     d.recent_rate() * 100);
  std::string cats;
  for (const auto& c : d.categories()) {
    const std::string name = (c.dimension().empty() ? "domain" : c.dimension()) + "=" + c.value();
    if (std::find(categories.begin(), categories.end(), name) == categories.end()) continue;
    cats += fmt::format("{}{} {:.0f}% -> {:.0f}%", cats.empty() ? "" : "; ", name, c.baseline() * 100, c.recent() * 100);
  }
  out += "Categories: " + (cats.empty() ? std::string("none diagnosed") : cats) + "\n";
  out += fmt::format("Attempt: {}\n", std::max(1, request.attempt()));
  if (request.attempt() >= 2) {
    out += fmt::format("Last plan: {} teacher calls, selection {}\n", request.last_plan().teacher_calls(),
                       request.last_plan().selection_policy());
    out += "Last verdict: " + Abbreviate(request.last_report().verdict(), 400) + "\n";
  }
  out += fmt::format("Teacher: {} at ${:.4g} per call\n", rule_plan.teacher(),
                     rule_plan.teacher_calls() > 0 ? rule_plan.max_cost() / rule_plan.teacher_calls() : 0.0);
  out += fmt::format("Max teacher calls: {}\n", rule_plan.teacher_calls());
  out += "Allowed policies: " + JoinList(RulePlanner::SelectionPolicies()) + "\n";
  if (rule_plan.has_max_prompt_change()) {
    out += fmt::format("Max prompt change: {:.4g} (the share of the prompt's tokens a candidate may change; "
                       "propose a smaller \"prompt_change\" to keep the change smaller)\n",
                       rule_plan.max_prompt_change());
  }
  out += "Reply with JSON: {\"teacher_calls\": <1 to the max>, \"selection_policy\": <an allowed policy>, "
         "\"focus\": [<categories to cover first>], ";
  if (rule_plan.has_max_prompt_change()) out += "\"prompt_change\": <a share from 0 to the max prompt change>, ";
  out += "\"rationale\": <one or two sentences>}";
  return out;
}

v1::Plan ApplyAdvice(const RulePlanner& rules, v1::Plan rule_plan, const json& advice,
                     const std::vector<std::string>& categories) {
  v1::Plan plan = std::move(rule_plan);
  const int64_t max_calls = plan.teacher_calls();
  int64_t calls = max_calls;
  if (advice.contains("teacher_calls")) {
    const json& c = advice["teacher_calls"];
    if (!c.is_number()) {
      plan.add_bound_actions("LLM planner's teacher_calls " + Abbreviate(c.dump(), 40) + " is no number; kept " +
                             std::to_string(max_calls));
    } else if (c.get<double>() < 1) {
      plan.add_bound_actions(fmt::format("LLM planner asked for {} teacher calls; at least 1, kept {}",
                                         c.get<double>(), max_calls));
    } else if (c.get<double>() > static_cast<double>(max_calls)) {
      plan.add_bound_actions(fmt::format("LLM planner asked for {} teacher calls; cut to {} by the teacher budget",
                                         static_cast<int64_t>(c.get<double>()), max_calls));
    } else {
      calls = static_cast<int64_t>(c.get<double>());
      const auto& ranges = rules.planning().bounds.parameter_ranges;
      if (auto r = ranges.find("teacher_calls"); r != ranges.end() && r->second.min &&
                                                 static_cast<double>(calls) < *r->second.min) {
        // The rule plan's calls are within the range, so its min is affordable.
        const int64_t least = std::min(max_calls, static_cast<int64_t>(std::ceil(*r->second.min - 1e-9)));
        plan.add_bound_actions(fmt::format("LLM planner asked for {} teacher calls; raised to {} by "
                                           "spec.planning.bounds.parameter_ranges.teacher_calls",
                                           calls, least));
        calls = least;
      }
    }
  }
  if (calls != max_calls) rules.Price(&plan, calls);

  if (advice.contains("prompt_change")) ApplyPromptChange(rules, advice["prompt_change"], &plan);
  rules.Score(&plan);

  if (advice.contains("selection_policy")) {
    const json& p = advice["selection_policy"];
    const auto& allowed = RulePlanner::SelectionPolicies();
    if (p.is_string() && std::find(allowed.begin(), allowed.end(), p.get<std::string>()) != allowed.end()) {
      plan.set_selection_policy(p.get<std::string>());
    } else {
      plan.add_bound_actions("LLM planner's selection_policy " + Abbreviate(p.dump(), 60) + " is not one of " +
                             JoinList(allowed) + "; kept " + plan.selection_policy());
    }
  }

  if (advice.contains("focus") && advice["focus"].is_array()) {
    std::vector<std::string> focus, unknown;
    for (const auto& f : advice["focus"]) {
      if (!f.is_string()) continue;
      const std::string name = f.get<std::string>();
      if (std::find(categories.begin(), categories.end(), name) == categories.end()) {
        unknown.push_back(name);
      } else if (std::find(focus.begin(), focus.end(), name) == focus.end() && focus.size() < RulePlanner::kMaxFocus) {
        focus.push_back(name);
      }
    }
    if (!unknown.empty()) {
      plan.add_bound_actions("LLM planner's focus " + Abbreviate(JoinList(unknown), 120) +
                             " dropped: not a diagnosed category");
    }
    if (!focus.empty() || unknown.empty()) {
      plan.clear_focus();
      for (const auto& f : focus) plan.add_focus(f);
    }
  }

  std::string why = advice.contains("rationale") && advice["rationale"].is_string()
                        ? Abbreviate(advice["rationale"].get<std::string>(), 600)
                        : "(no rationale given)";
  plan.set_rationale("LLM planner: " + why + fmt::format(" [{} teacher calls, {}]", plan.teacher_calls(),
                                                         plan.selection_policy()));
  return plan;
}

Result<std::unique_ptr<LlmPlanner>> LlmPlanner::Create(const json& settings) {
  auto config = llm::ChatConfigFromJson(settings.value("openai", json()), "spec.planning.openai");
  if (!config.ok()) return config.status();
  config->json_response = true;
  if (config->system_prompt.empty()) config->system_prompt = kSystemPrompt;
  auto client = llm::ChatClient::Create(*config);
  if (!client.ok()) return client.status();
  return std::unique_ptr<LlmPlanner>(new LlmPlanner(settings, std::move(*client)));
}

Result<v1::Plan> LlmPlanner::MakePlan(const v1::PlanRequest& request, const std::string& cycle_id) const {
  RulePlanner rules(settings_);
  auto rule_plan = rules.MakePlan(request);
  if (!rule_plan.ok()) return rule_plan.status();
  if (rule_plan->strategy() != "teacher_samples") return rule_plan;  // people's labels: nothing to choose

  const std::vector<std::string> categories = RulePlanner::FocusOf(request.trigger().diagnosis(), kMaxCategories);
  // The client puts its system prompt (kSystemPrompt, set at Create) first.
  auto reply = client_->Complete({{"user", PlanPrompt(request, *rule_plan, categories)}}, "planning:" + cycle_id);
  v1::LlmUsage usage;
  if (!reply.ok()) {
    usage.set_failures(1);
    rule_plan->add_bound_actions("LLM planner unavailable (" + Abbreviate(reply.status().message(), 200) +
                                 "): the rule plan is used");
    *rule_plan->mutable_llm_usage() = usage;
    return rule_plan;
  }
  usage.set_calls(1);
  usage.set_prompt_tokens(reply->prompt_tokens);
  usage.set_completion_tokens(reply->completion_tokens);
  usage.set_cost(reply->cost);
  auto advice = llm::FirstJsonObject(reply->text);
  if (!advice) {
    rule_plan->add_bound_actions("LLM planner answered no JSON object (\"" + Abbreviate(reply->text, 120) +
                                 "\"): the rule plan is used");
    *rule_plan->mutable_llm_usage() = usage;
    return rule_plan;
  }
  v1::Plan plan = ApplyAdvice(rules, std::move(*rule_plan), *advice, categories);
  *plan.mutable_llm_usage() = usage;
  return plan;
}

}  // namespace kaizen::agents
