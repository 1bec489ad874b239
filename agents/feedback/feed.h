// Feed: what a person attached with `kaizen feedback` has in front of them,
// and the messages their answers become. Pure protocol logic, no I/O: the
// command feeds in what arrives from the runtime (events and direct
// messages) and turns key presses or batch lines into envelopes to send.
//
// Items, most urgent first:
//   approval  an ApprovalRequest (a plan or a promotion) -> ApprovalDecision
//   label     a LabelRequest from datagen (human_demonstrations) -> LabelAnswer
//   unsure    a low-confidence answer sampled from task_result events -> Feedback
//   sample    every Nth answer, to rate -> Feedback (thumbs, or thumbs down with a correction)
// Approvals and label requests are shared by everyone attached: when one
// person answers, the runtime's approval_decision / request_closed event
// takes the item away for the others. Samples are each person's own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "envelope.pb.h"
#include "runtime/base/result.h"

namespace kaizen::feedback {

enum class ItemKind { kApproval = 0, kLabel = 1, kUnsure = 2, kSample = 3 };
const char* KindName(ItemKind kind);  // approval, label, unsure, sample

struct FeedItem {
  ItemKind kind = ItemKind::kSample;
  std::string id;                 // request id (approval, label) or task id (unsure, sample)
  std::string cycle_id;
  std::string subject, summary;   // approval
  std::string input, model_output, model_version, selected_by, asked_by;
  double confidence = 0;
  std::map<std::string, std::string> tags;
  int index = 0, total = 0;       // label: position in datagen's batch
  int64_t expires_ms = 0;         // wall clock; 0 = none
  uint64_t order = 0;             // arrival (skip moves an item to the back)
};

class Feed {
 public:
  struct Options {
    int sample_every = 100;        // rate one answer in this many (0 = none)
    double low_confidence = 0.5;   // answers below this are offered as "unsure" (0 = none)
    std::size_t max_rate_items = 20;  // unsure + sample items kept; the oldest go first
  };
  Feed(std::string me, Options options);

  // Takes in one message from the runtime. True when the feed changed.
  bool Apply(const v1::Envelope& e);
  // Drops items whose expiry passed. True when the feed changed.
  bool Expire(int64_t now_wall_ms);

  // The item to show: the most urgent kind, oldest first; nullptr if none.
  const FeedItem* Current() const;
  // The oldest item of `kind`, or nullptr.
  const FeedItem* Next(ItemKind kind) const;
  const FeedItem* Find(const std::string& id) const;
  std::size_t Count(ItemKind kind) const;
  std::size_t size() const { return items_.size(); }
  // Moves an item behind the others of its kind.
  void Skip(const std::string& id);
  // Drops an item (answered here, or refused by the runtime as closed).
  void Remove(const std::string& id);

  // Answers. Each returns the envelope to send to the runtime (body, cycle
  // id, recipient "runtime"), or why it cannot: unknown item, wrong kind,
  // missing reason or label.
  Result<v1::Envelope> Approve(const std::string& id, bool approved, const std::string& reason) const;
  Result<v1::Envelope> Label(const std::string& id, const std::string& label) const;
  Result<v1::Envelope> Rate(const std::string& id, bool thumbs_up) const;
  Result<v1::Envelope> Correct(const std::string& id, const std::string& correction) const;

  // What happened to items lately that the person should know (e.g. "label
  // request lr-1 was answered by bob"); cleared by TakeNotices().
  std::vector<std::string> TakeNotices();

 private:
  bool Add(FeedItem item);
  void TrimRateItems();
  bool RemoveApprovalsOfCycle(const std::string& cycle_id, const std::string& why);

  std::string me_;
  Options options_;
  std::map<std::string, FeedItem> items_;  // by id
  std::map<std::string, bool> closed_;     // ids answered or closed: never shown again
  uint64_t next_order_ = 1;
  uint64_t results_seen_ = 0;
  std::vector<std::string> notices_;
};

}  // namespace kaizen::feedback
