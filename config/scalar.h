// How a YAML scalar reads under the YAML 1.2 core schema: a quoted scalar is
// always a string; a plain one may be null, a boolean, an integer or a number.
// yaml-cpp keeps only the text, so the manifest's types are decided here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

namespace kaizen::config {

enum class ScalarKind { kNull, kBool, kInt, kNumber, kString };

// The kind of a scalar node (or kNull for a null node).
ScalarKind KindOf(const YAML::Node& node);
std::optional<int64_t> ParseInt(const std::string& text);      // decimal or 0x hex, no overflow
std::optional<double> ParseNumber(const std::string& text);    // integers, decimals, exponents, .inf, .nan
std::optional<bool> ParseBool(const std::string& text);        // true/false in three spellings

// What was found, for "found Y": `"abc" (string)`, `42 (integer)`, `a list`.
std::string Describe(const YAML::Node& node);

// A string as a double-quoted literal, shortened past 60 characters.
std::string Quote(const std::string& s);

}  // namespace kaizen::config
