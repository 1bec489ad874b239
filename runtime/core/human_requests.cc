#include "runtime/core/human_requests.h"

#include <algorithm>

namespace kaizen::core {
namespace {
// Closed ids remembered, so a late answer hears who was first.
constexpr size_t kClosedKept = 10000;
}  // namespace

bool HumanRequests::Add(const std::string& asker, const std::string& cycle_id, v1::LabelRequest request) {
  const std::string id = request.request_id();
  if (id.empty() || open_.count(id)) return false;
  request.set_asked_by(asker);
  open_[id] = Open{std::move(request), cycle_id};
  order_.push_back(id);
  closed_.erase(id);
  return true;
}

void HumanRequests::RememberClosed(const std::string& id, const std::string& why) {
  open_.erase(id);
  std::erase(order_, id);
  if (closed_.emplace(id, why).second) closed_order_.push_back(id);
  else closed_[id] = why;
  while (closed_order_.size() > kClosedKept) {
    closed_.erase(closed_order_.front());
    closed_order_.pop_front();
  }
}

std::optional<HumanRequests::Open> HumanRequests::Answer(const std::string& request_id, const std::string& person,
                                                          const std::string& label, std::string* why_not) {
  auto it = open_.find(request_id);
  if (it == open_.end()) {
    auto c = closed_.find(request_id);
    *why_not = c != closed_.end() ? c->second : "unknown request";
    return std::nullopt;
  }
  if (label.empty()) {
    *why_not = "an answer needs a label";
    return std::nullopt;
  }
  Open taken = std::move(it->second);
  RememberClosed(request_id, "answered by " + person);
  return taken;
}

std::vector<std::string> HumanRequests::Withdraw(const std::string& asker, const std::string& request_id,
                                                 const std::string& reason) {
  std::vector<std::string> ids;
  for (const auto& id : order_) {
    const Open& o = open_.at(id);
    if (o.request.asked_by() != asker) continue;
    if (!request_id.empty() && id != request_id) continue;
    ids.push_back(id);
  }
  for (const auto& id : ids) RememberClosed(id, reason);
  return ids;
}

std::vector<HumanRequests::Open> HumanRequests::Expire(int64_t now_wall_ms) {
  std::vector<Open> out;
  std::vector<std::string> ids;
  for (const auto& id : order_) {
    const Open& o = open_.at(id);
    if (o.request.expires_ms() > 0 && o.request.expires_ms() <= now_wall_ms) ids.push_back(id);
  }
  for (const auto& id : ids) {
    out.push_back(open_.at(id));
    RememberClosed(id, "expired");
  }
  return out;
}

std::vector<const HumanRequests::Open*> HumanRequests::OpenRequests() const {
  std::vector<const Open*> out;
  for (const auto& id : order_) out.push_back(&open_.at(id));
  return out;
}

void HumanRequests::Forget(int64_t now_mono_ms, int64_t max_silence_ms) {
  std::erase_if(people_, [&](const auto& kv) { return now_mono_ms - kv.second > max_silence_ms; });
}

std::vector<std::string> HumanRequests::PeopleIds() const {
  std::vector<std::string> out;
  for (const auto& [id, seen] : people_) out.push_back(id);
  return out;
}

}  // namespace kaizen::core
