#include "agents/feedback/item_view.h"

#include <cstdio>

namespace kaizen::feedback {
namespace {

// Display columns of UTF-8 text (code points; good enough for the rule lengths).
std::size_t Columns(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Rule(const std::string& title, int width) {
  std::string out = "-- " + title + " ";
  while (static_cast<int>(Columns(out)) < width) out += "-";
  return out;
}

std::string Fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string Duration(int64_t ms) {
  if (ms <= 0) return "now";
  int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + "s";
  return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
}

}  // namespace

std::vector<std::string> Wrap(const std::string& prefix, const std::string& text, int width) {
  std::vector<std::string> out;
  const std::string indent(Columns(prefix), ' ');
  std::string line = prefix;
  bool empty_line = true;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n' && text[j] != '\t') ++j;
    if (j == i) break;
    std::string word = text.substr(i, j - i);
    i = j;
    if (!empty_line && static_cast<int>(Columns(line) + 1 + Columns(word)) > width) {
      out.push_back(line);
      line = indent;
      empty_line = true;
    }
    // A word longer than a line is cut.
    while (static_cast<int>(Columns(line) + Columns(word)) > width && static_cast<int>(Columns(line)) < width) {
      std::size_t room = static_cast<std::size_t>(width) - Columns(line);
      line += word.substr(0, room);
      word = word.substr(room);
      out.push_back(line);
      line = indent;
    }
    line += (empty_line ? "" : " ") + word;
    empty_line = false;
  }
  if (!empty_line || out.empty()) out.push_back(line);
  return out;
}

std::string RenderCounts(const Feed& feed) {
  const std::size_t a = feed.Count(ItemKind::kApproval), l = feed.Count(ItemKind::kLabel);
  const std::size_t r = feed.Count(ItemKind::kUnsure) + feed.Count(ItemKind::kSample);
  return "waiting: " + std::to_string(a) + (a == 1 ? " approval, " : " approvals, ") + std::to_string(l) +
         (l == 1 ? " label request, " : " label requests, ") + std::to_string(r) + " to rate";
}

std::vector<std::string> RenderItem(const FeedItem& it, const Feed& feed, int64_t now_wall_ms, int width) {
  std::vector<std::string> out;
  auto add = [&](const std::vector<std::string>& lines) { out.insert(out.end(), lines.begin(), lines.end()); };
  const std::string expires = it.expires_ms > 0 ? " | expires in " + Duration(it.expires_ms - now_wall_ms) : "";
  switch (it.kind) {
    case ItemKind::kApproval:
      out.push_back(Rule("APPROVAL " + it.subject + " " + it.id + expires, width));
      add(Wrap("  ", it.summary, width));
      out.push_back("  [a] approve  [r] reject (with a reason)  [s] skip  [q] quit  [?] help");
      break;
    case ItemKind::kLabel: {
      out.push_back(Rule("LABEL " + std::to_string(it.index) + "/" + std::to_string(it.total) + " " + it.id +
                             " | cycle " + it.cycle_id + expires,
                         width));
      add(Wrap("  input : ", it.input, width));
      if (!it.model_output.empty()) {
        add(Wrap("  model : ", it.model_output + " (confidence " + Fixed(it.confidence) +
                                   (it.selected_by.empty() ? "" : "; " + it.selected_by) + ")",
                 width));
      }
      out.push_back("  [l] type the label  [y] the model is right  [s] skip  [q] quit  [?] help");
      break;
    }
    case ItemKind::kUnsure:
    case ItemKind::kSample:
      out.push_back(Rule(std::string(it.kind == ItemKind::kUnsure ? "RATE (low confidence) " : "RATE ") + it.id +
                             " | " + it.model_version,
                         width));
      add(Wrap("  input : ", it.input, width));
      add(Wrap("  output: ", it.model_output + " (confidence " + Fixed(it.confidence) + ")", width));
      out.push_back("  [+] thumbs up  [-] thumbs down  [c] correct  [s] skip  [q] quit  [?] help");
      break;
  }
  out.push_back("  " + RenderCounts(feed));
  return out;
}

std::vector<std::string> HelpLines() {
  return {"keys:  a approve   r reject (asks a reason)   l type a label   y the model's answer is the label",
          "       + or u thumbs up   - or d thumbs down   c correct (asks the right answer)",
          "       s skip (later)   q quit   ? this help.  While typing: Enter sends, Esc cancels."};
}

}  // namespace kaizen::feedback
