// The line format of `kaizen feedback --batch` (docs/feedback.md): one
// answer per line, read from stdin.
//
//   approve TARGET [REASON...]     approve a plan or promotion
//   reject  TARGET REASON...       reject it (a reason is required)
//   label   TARGET LABEL...        answer a label request
//   up      TARGET                 thumbs up on a sampled answer
//   down    TARGET                 thumbs down
//   correct TARGET ANSWER...       thumbs down with the right answer
//   sleep   SECONDS                pause
//   quit                           stop reading (end of input does the same)
//
// TARGET is an id (request id or task id) or `next`: the oldest waiting item
// of that kind, waited for up to --wait seconds. Blank lines and lines
// starting with # are skipped.
#pragma once

#include <optional>
#include <string>

#include "agents/feedback/feed.h"
#include "runtime/base/result.h"

namespace kaizen::feedback {

struct BatchLine {
  enum class Verb { kApprove, kReject, kLabel, kUp, kDown, kCorrect, kSleep, kQuit };
  Verb verb = Verb::kQuit;
  std::string target;  // an id, or "next"
  std::string text;    // reason, label, correction
  double seconds = 0;  // sleep
  // The kind of item `next` means for this verb.
  ItemKind kind() const;
};

// nullopt for a blank or comment line; an InvalidArgument naming what is
// wrong for a bad one.
Result<std::optional<BatchLine>> ParseBatchLine(const std::string& line);

const char* VerbName(BatchLine::Verb verb);

}  // namespace kaizen::feedback
