// Minimal UTF-8 helpers: the classifier must not choke on (or split inside)
// multi-byte characters, and datasets reject lines that are not UTF-8.
#pragma once

#include <cstddef>
#include <string_view>

namespace kaizen::models {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Length in bytes of the character starting with `lead`, 1 for a stray byte so that
// callers always make progress on malformed input.
std::size_t Utf8CharLength(unsigned char lead);

}  // namespace kaizen::models
