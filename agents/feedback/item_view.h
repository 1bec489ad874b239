// How a feed item looks in a plain terminal: lines of at most `width`
// columns (80 by default), no colors, no cursor movement, so it reads the
// same over ssh, in tmux and in a log. Rendering only; Feed holds the logic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agents/feedback/feed.h"

namespace kaizen::feedback {

// The block for the current item: a header rule, the content, the keys.
std::vector<std::string> RenderItem(const FeedItem& item, const Feed& feed, int64_t now_wall_ms, int width = 80);
// One line: what is waiting, e.g. "waiting: 1 approval, 3 labels, 2 to rate".
std::string RenderCounts(const Feed& feed);
// The keys, for `?`.
std::vector<std::string> HelpLines();
// Word-wraps `text` after `prefix` (continuation lines indented to match).
std::vector<std::string> Wrap(const std::string& prefix, const std::string& text, int width);

}  // namespace kaizen::feedback
