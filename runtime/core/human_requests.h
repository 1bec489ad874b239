// HumanRequests: the label requests datagen has open for people, and the
// people (`kaizen feedback` peers) attached to answer them. The runtime keeps
// one table so that the first answer wins: it goes to the asker, and every
// other person is told the request is closed. Pure bookkeeping, no I/O.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cycle.pb.h"

namespace kaizen::core {

class HumanRequests {
 public:
  struct Open {
    v1::LabelRequest request;  // asked_by set
    std::string cycle_id;
  };

  // Opens a request from `asker`. False when its id is open already (a
  // re-sent request): nothing changes.
  bool Add(const std::string& asker, const std::string& cycle_id, v1::LabelRequest request);

  // `person` answers: the open request, now closed as answered by them; or
  // nullopt with *why_not saying why ("answered by bob", "withdrawn by its
  // asker", "unknown request").
  std::optional<Open> Answer(const std::string& request_id, const std::string& person, const std::string& label,
                             std::string* why_not);

  // Closes the open requests of `asker` (all when request_id is empty);
  // returns their ids.
  std::vector<std::string> Withdraw(const std::string& asker, const std::string& request_id, const std::string& reason);

  // Closes requests whose expires_ms has passed (wall clock); returns them.
  std::vector<Open> Expire(int64_t now_wall_ms);

  // Open requests, oldest first.
  std::vector<const Open*> OpenRequests() const;
  size_t open_count() const { return open_.size(); }

  // People: a feedback peer attached (Hello) or was seen (any message).
  void Seen(const std::string& person, int64_t now_mono_ms) { people_[person] = now_mono_ms; }
  void Forget(int64_t now_mono_ms, int64_t max_silence_ms);
  bool IsPerson(const std::string& id) const { return people_.count(id) > 0; }
  size_t people() const { return people_.size(); }
  std::vector<std::string> PeopleIds() const;

 private:
  void RememberClosed(const std::string& id, const std::string& why);

  std::map<std::string, Open> open_;            // by request id
  std::vector<std::string> order_;              // open ids, oldest first
  std::map<std::string, std::string> closed_;   // id -> why it closed; bounded
  std::deque<std::string> closed_order_;
  std::map<std::string, int64_t> people_;       // id -> last seen (mono ms)
};

}  // namespace kaizen::core
