// The validation rows of a cycle's dataset artifact (JSONL written by datagen:
// {"text", "label", "split", "tags": {"domain"}, ...}). Only rows with
// split == "validation" are kept; their labels come from the teacher.
#pragma once

#include <string>
#include <vector>

#include "runtime/base/result.h"

namespace kaizen::agents {

struct ValidationRow {
  std::string text;
  std::string label;
  std::string domain;  // tags.domain (or a top-level "domain"); may be empty
};

struct ValidationSet {
  std::vector<ValidationRow> rows;
  size_t lines = 0;
  size_t skipped = 0;  // not JSON, or no string text / label
};

// NotFound / IOError when the file cannot be read; bad lines are counted.
Result<ValidationSet> LoadValidationRows(const std::string& path);

}  // namespace kaizen::agents
