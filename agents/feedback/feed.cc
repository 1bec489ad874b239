#include "agents/feedback/feed.h"

#include <algorithm>

#include "runtime/base/text.h"


namespace kaizen::feedback {
namespace {

constexpr std::size_t kClosedKept = 20000;

v1::Envelope ToRuntime(const FeedItem& item) {
  v1::Envelope e;
  e.set_recipient("runtime");
  e.set_cycle_id(item.cycle_id);
  return e;
}

// What `closed_` remembers an item by. A cycle's plan approval and its later
// promotion approval share the request id (the cycle id), so approvals are
// remembered with their subject.
std::string ClosedKey(const FeedItem& item) {
  return item.kind == ItemKind::kApproval ? "approval/" + item.subject + "/" + item.id : item.id;
}

}  // namespace

const char* KindName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kApproval:
      return "approval";
    case ItemKind::kLabel:
      return "label";
    case ItemKind::kUnsure:
      return "unsure";
    case ItemKind::kSample:
      return "sample";
  }
  return "?";
}

Feed::Feed(std::string me, Options options) : me_(std::move(me)), options_(options) {}

bool Feed::Add(FeedItem item) {
  if (item.id.empty() || closed_.count(ClosedKey(item))) return false;
  if (auto old = items_.find(item.id); old != items_.end()) {
    // The same id again: a re-send, or a cycle's promotion approval after a
    // plan approval whose end we missed.
    if (old->second.kind != ItemKind::kApproval || old->second.subject == item.subject) return false;
    items_.erase(old);
  }
  item.order = next_order_++;
  items_[item.id] = std::move(item);
  return true;
}

void Feed::TrimRateItems() {
  std::vector<const FeedItem*> rate;
  for (const auto& [id, it] : items_) {
    if (it.kind == ItemKind::kUnsure || it.kind == ItemKind::kSample) rate.push_back(&it);
  }
  if (rate.size() <= options_.max_rate_items) return;
  std::sort(rate.begin(), rate.end(), [](const FeedItem* a, const FeedItem* b) { return a->order < b->order; });
  std::vector<std::string> drop;
  for (std::size_t i = 0; i + options_.max_rate_items < rate.size(); ++i) drop.push_back(rate[i]->id);
  for (const auto& id : drop) items_.erase(id);
}

bool Feed::RemoveApprovalsOfCycle(const std::string& cycle_id, const std::string& why) {
  std::vector<std::string> drop;
  for (const auto& [id, it] : items_) {
    if (it.kind == ItemKind::kApproval && it.cycle_id == cycle_id) drop.push_back(id);
  }
  for (const auto& id : drop) {
    notices_.push_back("approval " + id + " is no longer waiting: " + why);
    Remove(id);
  }
  return !drop.empty();
}

bool Feed::Apply(const v1::Envelope& e) {
  switch (e.body_case()) {
    case v1::Envelope::kLabelRequest: {
      const auto& r = e.label_request();
      FeedItem it;
      it.kind = ItemKind::kLabel;
      it.id = r.request_id();
      it.cycle_id = e.cycle_id();
      it.input = r.input();
      it.model_output = r.model_output();
      it.confidence = r.model_confidence();
      it.tags = {r.tags().begin(), r.tags().end()};
      it.index = r.index();
      it.total = r.total();
      it.expires_ms = r.expires_ms();
      it.selected_by = r.selected_by();
      it.asked_by = r.asked_by();
      return Add(std::move(it));
    }
    case v1::Envelope::kRequestClosed: {
      const auto& c = e.request_closed();
      const bool had = items_.count(c.request_id()) > 0;
      if (had && c.closed_by() != me_) {
        notices_.push_back("label request " + c.request_id() + " is gone: " +
                           (c.reason() == "answered" ? "answered by " + c.closed_by() : c.reason()));
      }
      Remove(c.request_id());
      return had;
    }
    case v1::Envelope::kApprovalRequest: {
      const auto& r = e.approval_request();
      FeedItem it;
      it.kind = ItemKind::kApproval;
      it.id = r.request_id();
      it.cycle_id = e.cycle_id();
      it.subject = r.subject();
      it.summary = r.summary();
      it.expires_ms = r.expires_ms();
      return Add(std::move(it));
    }
    case v1::Envelope::kApprovalDecision: {
      const auto& d = e.approval_decision();
      const bool had = items_.count(d.request_id()) > 0;
      if (had && d.decided_by() != me_) {
        notices_.push_back("approval " + d.request_id() + " was " + (d.approved() ? "approved" : "rejected") + " by " +
                           d.decided_by() + (d.reason().empty() ? "" : ": " + d.reason()));
      }
      Remove(d.request_id());
      return had;
    }
    case v1::Envelope::kCycleTransition: {
      // A plan approval that timed out (or was decided where no decision
      // event reached us) stops waiting when its cycle moves on.
      const auto& t = e.cycle_transition();
      if (t.from() != v1::CYCLE_STAGE_AWAITING_APPROVAL) return false;
      return RemoveApprovalsOfCycle(t.cycle_id(), t.reason());
    }
    case v1::Envelope::kTaskResult: {
      const auto& r = e.task_result();
      if (!r.ok() || r.task_id().empty() || r.input().empty()) return false;
      ++results_seen_;
      ItemKind kind;
      if (options_.low_confidence > 0 && r.confidence() < options_.low_confidence) {
        kind = ItemKind::kUnsure;
      } else if (options_.sample_every > 0 && results_seen_ % static_cast<uint64_t>(options_.sample_every) == 0) {
        kind = ItemKind::kSample;
      } else {
        return false;
      }
      FeedItem it;
      it.kind = kind;
      it.id = r.task_id();
      it.cycle_id = e.cycle_id();
      it.input = r.input();
      it.model_output = r.output();
      it.model_version = r.model_version();
      it.confidence = r.confidence();
      it.tags = {r.tags().begin(), r.tags().end()};
      if (!Add(std::move(it))) return false;
      TrimRateItems();
      return true;
    }
    default:
      return false;
  }
}

bool Feed::Expire(int64_t now_wall_ms) {
  std::vector<std::string> drop;
  for (const auto& [id, it] : items_) {
    if (it.expires_ms > 0 && it.expires_ms <= now_wall_ms) drop.push_back(id);
  }
  for (const auto& id : drop) {
    notices_.push_back(std::string(KindName(items_.at(id).kind)) + " " + id + " expired");
    Remove(id);
  }
  return !drop.empty();
}

const FeedItem* Feed::Next(ItemKind kind) const {
  const FeedItem* best = nullptr;
  for (const auto& [id, it] : items_) {
    if (it.kind == kind && (!best || it.order < best->order)) best = &it;
  }
  return best;
}

const FeedItem* Feed::Current() const {
  for (ItemKind k : {ItemKind::kApproval, ItemKind::kLabel, ItemKind::kUnsure, ItemKind::kSample}) {
    if (const FeedItem* it = Next(k)) return it;
  }
  return nullptr;
}

const FeedItem* Feed::Find(const std::string& id) const {
  auto it = items_.find(id);
  return it == items_.end() ? nullptr : &it->second;
}

std::size_t Feed::Count(ItemKind kind) const {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [kind](const auto& kv) { return kv.second.kind == kind; }));
}

void Feed::Skip(const std::string& id) {
  auto it = items_.find(id);
  if (it != items_.end()) it->second.order = next_order_++;
}

void Feed::Remove(const std::string& id) {
  auto it = items_.find(id);
  if (it != items_.end()) {
    closed_[ClosedKey(it->second)] = true;
    items_.erase(it);
  } else {
    closed_[id] = true;
  }
  if (closed_.size() > kClosedKept) closed_.clear();  // rare; a stale re-send could show once more
}

Result<v1::Envelope> Feed::Approve(const std::string& id, bool approved, const std::string& reason) const {
  const FeedItem* it = Find(id);
  if (!it || it->kind != ItemKind::kApproval) return Status::NotFound("no approval '" + id + "' is waiting");
  const std::string why = Trim(reason);
  if (!approved && why.empty()) return Status::InvalidArgument("a rejection needs a reason");
  v1::Envelope e = ToRuntime(*it);
  auto* d = e.mutable_approval_decision();
  d->set_request_id(id);
  d->set_approved(approved);
  d->set_reason(why);
  d->set_decided_by(me_);
  return e;
}

Result<v1::Envelope> Feed::Label(const std::string& id, const std::string& label) const {
  const FeedItem* it = Find(id);
  if (!it || it->kind != ItemKind::kLabel) return Status::NotFound("no label request '" + id + "' is open");
  const std::string l = Trim(label);
  if (l.empty()) return Status::InvalidArgument("a label is needed");
  v1::Envelope e = ToRuntime(*it);
  auto* a = e.mutable_label_answer();
  a->set_request_id(id);
  a->set_label(l);
  return e;
}

Result<v1::Envelope> Feed::Rate(const std::string& id, bool thumbs_up) const {
  const FeedItem* it = Find(id);
  if (!it || (it->kind != ItemKind::kUnsure && it->kind != ItemKind::kSample)) {
    return Status::NotFound("no answer '" + id + "' to rate");
  }
  v1::Envelope e = ToRuntime(*it);
  auto* f = e.mutable_feedback();
  f->set_task_id(id);
  f->set_kind(thumbs_up ? v1::Feedback::THUMBS_UP : v1::Feedback::THUMBS_DOWN);
  f->set_source(me_);
  return e;
}

Result<v1::Envelope> Feed::Correct(const std::string& id, const std::string& correction) const {
  auto e = Rate(id, false);
  if (!e.ok()) return e.status();
  const std::string c = Trim(correction);
  if (c.empty()) return Status::InvalidArgument("a correction needs the right answer");
  // A thumbs-down that carries the right answer: monitoring counts the
  // thumbs-down like a simulated user's, datagen can use the answer.
  e->mutable_feedback()->set_correction(c);
  return e;
}

std::vector<std::string> Feed::TakeNotices() {
  std::vector<std::string> out;
  out.swap(notices_);
  return out;
}

}  // namespace kaizen::feedback
