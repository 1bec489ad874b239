// One row of an intent data set as a JSONL line, written exactly as Python's
// json.dumps(row, ensure_ascii=False) writes it, so that `kaizen import-intents`
// and scripts/convert_clinc150.py produce the same bytes (manifests/data/clinc150.jsonl).
#pragma once

#include <string>
#include <string_view>

namespace kaizen::models {

// Appends s as a JSON string literal, escaped as Python's json module does with
// ensure_ascii=False: \" \\ \b \f \n \r \t, other characters below U+0020 as
// \u00XX (lowercase hex), everything else (DEL, non-ASCII) as is. s must be
// valid UTF-8; it is copied byte for byte.
void AppendPythonJsonString(std::string& out, std::string_view s);

// {"text": ..., "intent": ..., "domain": ..., "split": ...} followed by '\n',
// keys in that order, separated by ", " and ": " as Python writes them.
std::string IntentJsonlLine(std::string_view text, std::string_view intent, std::string_view domain,
                            std::string_view split);

}  // namespace kaizen::models
