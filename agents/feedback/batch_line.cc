#include "agents/feedback/batch_line.h"

#include <cstdlib>
#include <sstream>

#include "runtime/base/text.h"

namespace kaizen::feedback {
namespace {

// Splits off the first word; *rest gets what follows, trimmed.
std::string FirstWord(const std::string& s, std::string* rest) {
  const auto end = s.find_first_of(" \t");
  if (end == std::string::npos) {
    rest->clear();
    return s;
  }
  *rest = Trim(s.substr(end));
  return s.substr(0, end);
}

}  // namespace

const char* VerbName(BatchLine::Verb verb) {
  switch (verb) {
    case BatchLine::Verb::kApprove:
      return "approve";
    case BatchLine::Verb::kReject:
      return "reject";
    case BatchLine::Verb::kLabel:
      return "label";
    case BatchLine::Verb::kUp:
      return "up";
    case BatchLine::Verb::kDown:
      return "down";
    case BatchLine::Verb::kCorrect:
      return "correct";
    case BatchLine::Verb::kSleep:
      return "sleep";
    case BatchLine::Verb::kQuit:
      return "quit";
  }
  return "?";
}

ItemKind BatchLine::kind() const {
  switch (verb) {
    case Verb::kApprove:
    case Verb::kReject:
      return ItemKind::kApproval;
    case Verb::kLabel:
      return ItemKind::kLabel;
    default:
      return ItemKind::kSample;  // up/down/correct: an unsure answer first, else a sample
  }
}

Result<std::optional<BatchLine>> ParseBatchLine(const std::string& raw) {
  const std::string line = Trim(raw);
  if (line.empty() || line[0] == '#') return std::optional<BatchLine>();
  std::string rest;
  const std::string verb = FirstWord(line, &rest);
  BatchLine b;
  static const std::pair<const char*, BatchLine::Verb> kVerbs[] = {
      {"approve", BatchLine::Verb::kApprove}, {"reject", BatchLine::Verb::kReject}, {"label", BatchLine::Verb::kLabel},
      {"up", BatchLine::Verb::kUp},           {"down", BatchLine::Verb::kDown},     {"correct", BatchLine::Verb::kCorrect},
      {"sleep", BatchLine::Verb::kSleep},     {"quit", BatchLine::Verb::kQuit}};
  bool known = false;
  for (const auto& [name, v] : kVerbs) {
    if (verb == name) {
      b.verb = v;
      known = true;
    }
  }
  if (!known) {
    return Status::InvalidArgument("unknown command '" + verb +
                                   "' (expected approve, reject, label, up, down, correct, sleep or quit)");
  }
  if (b.verb == BatchLine::Verb::kQuit) {
    if (!rest.empty()) return Status::InvalidArgument("quit takes nothing after it");
    return std::optional<BatchLine>(b);
  }
  if (b.verb == BatchLine::Verb::kSleep) {
    char* end = nullptr;
    b.seconds = std::strtod(rest.c_str(), &end);
    if (rest.empty() || *end != '\0' || b.seconds < 0 || b.seconds > 3600) {
      return Status::InvalidArgument("sleep needs seconds between 0 and 3600, not '" + rest + "'");
    }
    return std::optional<BatchLine>(b);
  }
  std::string text;
  b.target = FirstWord(rest, &text);
  if (b.target.empty()) return Status::InvalidArgument(verb + " needs a target: an id or `next`");
  b.text = text;
  switch (b.verb) {
    case BatchLine::Verb::kReject:
      if (b.text.empty()) return Status::InvalidArgument("reject needs a reason after the target");
      break;
    case BatchLine::Verb::kLabel:
      if (b.text.empty()) return Status::InvalidArgument("label needs the label after the target");
      break;
    case BatchLine::Verb::kCorrect:
      if (b.text.empty()) return Status::InvalidArgument("correct needs the right answer after the target");
      break;
    case BatchLine::Verb::kUp:
    case BatchLine::Verb::kDown:
      if (!b.text.empty()) return Status::InvalidArgument(verb + " takes only a target");
      break;
    default:
      break;
  }
  return std::optional<BatchLine>(b);
}

}  // namespace kaizen::feedback
