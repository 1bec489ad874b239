// `kaizen feedback`: a person attached as a human feedback agent. In a
// terminal: a line-based live feed (no cursor addressing, so it works over
// ssh, in tmux and on 80 columns) answered by single keys; with --batch,
// answers read from stdin (cmd_feedback_batch.cc). docs/feedback.md.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "agents/feedback/item_view.h"
#include "runtime/base/clock.h"
#include "runtime/cli/cmd_feedback_session.h"

namespace kaizen::cli {

int RunFeedbackBatch(FeedbackSession& s, const FeedbackOptions& o);

namespace {

using feedback::FeedItem;
using feedback::ItemKind;

// Single keys without Enter and without echo while attached; restored on exit.
class RawTerminal {
 public:
  RawTerminal() {
    if (!::isatty(0) || ::tcgetattr(0, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(0, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

void Print(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// A line being typed: a label, a correction or a reason.
struct Prompt {
  char action = 0;  // 'l' label, 'c' correction, 'a' approve, 'r' reject
  std::string item_id, text;
};

class Interactive {
 public:
  explicit Interactive(FeedbackSession& s) : s_(s) {}

  int Run() {
    RawTerminal raw;
    Print("kaizen feedback: cluster " + s_.cluster() + ", attached as " + s_.identity() + ". Keys: ? help, q quit.");
    while (!quit_) {
      const bool readable = s_.Pump(200, 0);
      for (const auto& n : s_.feed().TakeNotices()) Print("  (" + n + ")");
      if (s_.lost() && !told_lost_) {
        Print("  (the runtime does not answer; waiting for it)");
        told_lost_ = true;
      }
      if (!s_.lost()) told_lost_ = false;
      if (!prompt_) Show();
      if (readable && !ReadKeys()) break;
    }
    Print("detached.");
    return kExitOk;
  }

 private:
  void Show(bool force = false) {
    const FeedItem* it = s_.feed().Current();
    const std::string id = it ? it->id : "";
    if (!force && id == shown_) return;
    shown_ = id;
    if (!it) {
      Print("-- nothing waiting; watching for approvals, label requests and answers to rate --");
      return;
    }
    for (const auto& l : feedback::RenderItem(*it, s_.feed(), WallMs())) Print(l);
  }

  // False at the end of input.
  bool ReadKeys() {
    char buf[256];
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n == 0) {
      quit_ = true;
      return false;
    }
    for (ssize_t i = 0; i < n && !quit_; ++i) OnKey(buf[i]);
    return true;
  }

  void StartPrompt(char action, const std::string& label) {
    const FeedItem* it = s_.feed().Current();
    prompt_ = Prompt{action, it->id, ""};
    std::fputs(("  " + label + "> ").c_str(), stdout);
    std::fflush(stdout);
  }

  void OnKey(char c) {
    if (prompt_) {
      OnPromptKey(c);
      return;
    }
    const FeedItem* it = s_.feed().Current();
    const ItemKind kind = it ? it->kind : ItemKind::kSample;
    const bool rate = it && (kind == ItemKind::kUnsure || kind == ItemKind::kSample);
    switch (c) {
      case 'q':
        quit_ = true;
        return;
      case '?':
        for (const auto& l : feedback::HelpLines()) Print(l);
        return;
      case '\n':
      case '\r':
      case ' ':
        Show(true);
        return;
      default:
        break;
    }
    if (!it) return;
    if (c == 's') {
      s_.feed().Skip(it->id);
      shown_.clear();
      return;
    }
    if (kind == ItemKind::kApproval && c == 'a') return StartPrompt('a', "reason (optional)");
    if (kind == ItemKind::kApproval && c == 'r') return StartPrompt('r', "why reject");
    if (kind == ItemKind::kLabel && c == 'l') return StartPrompt('l', "label");
    if (kind == ItemKind::kLabel && c == 'y' && !it->model_output.empty()) {
      return Answer(s_.feed().Label(it->id, it->model_output), it->id, false, "labeled '" + it->model_output + "'");
    }
    if (rate && (c == '+' || c == 'u')) return Answer(s_.feed().Rate(it->id, true), it->id, true, "thumbs up");
    if (rate && (c == '-' || c == 'd')) return Answer(s_.feed().Rate(it->id, false), it->id, true, "thumbs down");
    if (rate && c == 'c') return StartPrompt('c', "right answer");
    Print("  (key '" + std::string(1, c) + "' does nothing here; ? for help)");
  }

  void OnPromptKey(char c) {
    Prompt& p = *prompt_;
    if (c == 27) {  // Esc
      Print(" (cancelled)");
      prompt_.reset();
      shown_.clear();
      return;
    }
    if (c == 127 || c == 8) {
      if (!p.text.empty()) {
        // Drop a whole UTF-8 character.
        do p.text.pop_back();
        while (!p.text.empty() && (static_cast<unsigned char>(p.text.back()) & 0xC0) == 0x80);
        std::fputs("\b \b", stdout);
        std::fflush(stdout);
      }
      return;
    }
    if (c == '\n' || c == '\r') {
      std::fputs("\n", stdout);
      Prompt done = std::move(p);
      prompt_.reset();
      switch (done.action) {
        case 'l':
          Answer(s_.feed().Label(done.item_id, done.text), done.item_id, false, "labeled '" + done.text + "'");
          break;
        case 'c':
          Answer(s_.feed().Correct(done.item_id, done.text), done.item_id, true, "corrected to '" + done.text + "'");
          break;
        case 'a':
        case 'r':
          Answer(s_.feed().Approve(done.item_id, done.action == 'a', done.text), done.item_id, false,
                 done.action == 'a' ? "approved" : "rejected");
          break;
        default:
          break;
      }
      shown_.clear();
      return;
    }
    if (static_cast<unsigned char>(c) < 32) return;
    p.text.push_back(c);
    std::fputc(c, stdout);
    std::fflush(stdout);
  }

  void Answer(Result<v1::Envelope> answer, const std::string& id, bool rating, const std::string& what) {
    shown_.clear();
    if (!answer.ok()) {
      Print("  x " + answer.status().message());
      return;
    }
    if (rating) {
      Status st = s_.SendRating(*answer, id);
      Print(st.ok() ? "  ok " + what + " (" + id + ")" : "  x " + st.message());
      return;
    }
    auto r = s_.Submit(*answer, id);
    Print(r.ok() ? "  ok " + what + ": " + *r : "  x " + r.status().message());
  }

  FeedbackSession& s_;
  std::string shown_ = "\x01";  // nothing shown yet
  std::optional<Prompt> prompt_;
  bool quit_ = false, told_lost_ = false;
};

}  // namespace

int RunFeedback(const FeedbackOptions& o) {
  auto s = FeedbackSession::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "kaizen feedback: %s\n", s.status().message().c_str());
    return s.status().code() == Status::Code::kUnavailable ? kExitNotRunning : kExitFailure;
  }
  if (o.batch) return RunFeedbackBatch(**s, o);
  return Interactive(**s).Run();
}

}  // namespace kaizen::cli
