// Reads labeled examples from JSONL: one JSON object per line with "text" and a label
// ("label", or "intent" as in manifests/data/clinc150.jsonl), optionally "split" and
// "domain". Bad lines are skipped and counted, never fatal: one stray line must not
// stop a training run.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "agents/models/example.h"
#include "runtime/base/result.h"

namespace kaizen::models {

// A record is a sentence or two; a longer line is a broken file (a missing
// newline, a binary file), so it is skipped without being held in memory.
inline constexpr std::size_t kMaxJsonlLineBytes = 1 << 20;

struct JsonlDataset {
  std::vector<Example> examples;
  std::size_t lines = 0;           // lines read, including skipped ones
  std::size_t filtered_out = 0;    // well-formed, but not in the requested split/domains
  std::size_t empty_lines = 0;     // blank (or whitespace-only) lines
  std::size_t bad_utf8 = 0;        // not valid UTF-8
  std::size_t bad_json = 0;        // not a JSON object
  std::size_t bad_record = 0;      // JSON object without a string text and non-empty label
  std::size_t too_long = 0;        // longer than kMaxJsonlLineBytes (read past, never held whole)
  std::vector<std::string> errors;  // the first few problems, "line N: what", for logs

  std::size_t skipped() const { return empty_lines + bad_utf8 + bad_json + bad_record + too_long; }
};

// Keeps the records of `split` (all when empty) whose "domain" is one of `domains` (all
// when empty). A missing or unreadable file is an error (NotFound / IOError); bad lines
// are not.
Result<JsonlDataset> LoadJsonlExamples(const std::string& path, std::string_view split = {},
                                       const std::vector<std::string>& domains = {});

}  // namespace kaizen::models
