// `kaizen feedback --batch`: answers read from stdin, one per line (format in
// agents/feedback/batch_line.h and docs/feedback.md). Prints one JSON object
// per line on stdout for each answer: {"line", "command", "id", "ok", "detail"}.
// Exit 0 when every line was answered, 1 otherwise.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "agents/feedback/batch_line.h"
#include "runtime/base/clock.h"
#include "runtime/cli/cmd_feedback_session.h"

namespace kaizen::cli {

using feedback::BatchLine;
using feedback::ItemKind;

namespace {

// The item a line is about: its id, or for `next` the oldest of its kind,
// waited for up to wait_s.
const feedback::FeedItem* Target(FeedbackSession& s, const BatchLine& b, double wait_s) {
  const int64_t deadline = MonoMs() + static_cast<int64_t>(wait_s * 1000);
  while (true) {
    const feedback::FeedItem* it = nullptr;
    if (b.target != "next") {
      it = s.feed().Find(b.target);
    } else if (b.kind() == ItemKind::kSample) {
      it = s.feed().Next(ItemKind::kUnsure);
      if (!it) it = s.feed().Next(ItemKind::kSample);
    } else {
      it = s.feed().Next(b.kind());
    }
    if (it || MonoMs() >= deadline || s.lost()) return it;
    s.Pump(100);
  }
}

}  // namespace

int RunFeedbackBatch(FeedbackSession& s, const FeedbackOptions& o) {
  std::string line;
  int n = 0, failed = 0;
  while (std::getline(std::cin, line)) {
    ++n;
    nlohmann::json out = {{"line", n}};
    auto parsed = feedback::ParseBatchLine(line);
    if (!parsed.ok()) {
      out.update({{"ok", false}, {"detail", parsed.status().message()}});
      std::printf("%s\n", out.dump().c_str());
      std::fflush(stdout);
      ++failed;
      continue;
    }
    if (!*parsed) continue;
    const BatchLine& b = **parsed;
    out["command"] = feedback::VerbName(b.verb);
    if (b.verb == BatchLine::Verb::kQuit) break;
    if (b.verb == BatchLine::Verb::kSleep) {
      const int64_t until = MonoMs() + static_cast<int64_t>(b.seconds * 1000);
      while (MonoMs() < until) s.Pump(100);
      continue;
    }
    const feedback::FeedItem* it = Target(s, b, o.wait_s);
    if (!it) {
      out.update({{"ok", false},
                  {"detail", b.target == "next" ? "nothing of that kind waited within " + std::to_string(o.wait_s) + " s"
                                                : "no waiting item '" + b.target + "'"}});
      std::printf("%s\n", out.dump().c_str());
      std::fflush(stdout);
      ++failed;
      continue;
    }
    const std::string id = it->id;
    out["id"] = id;
    Result<v1::Envelope> answer = Status::OK();
    bool rating = false;
    switch (b.verb) {
      case BatchLine::Verb::kApprove:
        answer = s.feed().Approve(id, true, b.text);
        break;
      case BatchLine::Verb::kReject:
        answer = s.feed().Approve(id, false, b.text);
        break;
      case BatchLine::Verb::kLabel:
        answer = s.feed().Label(id, b.text);
        break;
      case BatchLine::Verb::kUp:
      case BatchLine::Verb::kDown:
        answer = s.feed().Rate(id, b.verb == BatchLine::Verb::kUp);
        rating = true;
        break;
      case BatchLine::Verb::kCorrect:
        answer = s.feed().Correct(id, b.text);
        rating = true;
        break;
      default:
        break;
    }
    Result<std::string> result = answer.ok() ? Result<std::string>(std::string("sent")) : answer.status();
    if (answer.ok()) {
      if (rating) {
        Status st = s.SendRating(*answer, id);
        result = st.ok() ? Result<std::string>(std::string("sent")) : Result<std::string>(st);
      } else {
        result = s.Submit(*answer, id);
      }
    }
    if (result.ok()) out.update({{"ok", true}, {"detail", *result}});
    else {
      out.update({{"ok", false}, {"detail", result.status().message()}});
      ++failed;
    }
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
  }
  // Let a last rating leave before the socket closes.
  s.Pump(100);
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace kaizen::cli
