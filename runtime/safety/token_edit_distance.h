// How much of a text a change rewrote, for the change bounds of issue 18
// (spec.planning.bounds.max_prompt_change and max_drift_from_anchor): the
// token edit distance (Levenshtein over tokens: insert, delete or replace
// one token costs 1) divided by the token count of the text changed from.
//
// Tokens are runs of letters and digits (UTF-8 bytes >= 0x80 count as
// letters, so words of any script stay whole) and each other non-blank
// character on its own; blanks separate tokens and are not tokens, so
// re-wrapping or re-indenting a prompt changes nothing. Case matters: the
// model sees it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kaizen::safety {

std::vector<std::string> Tokenize(std::string_view text);

// Levenshtein distance between the token sequences of `from` and `to`.
// O(|from| x |to|) time, O(min) memory.
std::size_t TokenEditDistance(std::string_view from, std::string_view to);

// TokenEditDistance / tokens of `from`; 0 when both are empty, and the
// token count of `to` over 1 when only `from` is empty (all of it is new).
// May exceed 1 (a longer text written from scratch).
double ChangeShare(std::string_view from, std::string_view to);

}  // namespace kaizen::safety
