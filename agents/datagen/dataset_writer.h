// Dataset rows, their train/validation split and the JSONL artifact format:
// one object per line,
//   {"text", "label", "split": "train"|"validation", "task_id", "tags",
//    "teacher", "selected_by", "worker_answer"}   // worker_answer: when known
// which LoadJsonlExamples reads directly (text, label, split).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"

namespace kaizen::agents {

struct DatasetRow {
  std::string text;
  std::string label;  // the teacher's answer, or a person's (a label answer, a correction)
  std::string split;  // "train" or "validation"
  std::string task_id;
  std::map<std::string, std::string> tags;
  std::string teacher;  // the teacher's name, or "human:<who>"
  std::string selected_by;
  std::string worker_answer;  // what the worker answered, when known: a row it got wrong is a failure to learn from
};

// Whether a person gave the row's label (teacher "human:<who>": a label
// answer or a correction), which wins over a teacher's label of the same input.
bool LabelledByPerson(const DatasetRow& row);

// A stable 64-bit seed from a string (FNV-1a), e.g. from a cycle id.
uint64_t SeedFromString(std::string_view s);

// Marks round(n * validation_fraction) rows "validation" and the rest "train",
// picked by a shuffle seeded with `seed` (the same seed, the same split). With
// two rows or more and a positive fraction, each split gets at least one row:
// evaluation needs validation rows and training needs train rows.
void AssignSplits(std::vector<DatasetRow>& rows, double validation_fraction, uint64_t seed);

// Writes the rows as JSONL to `path` (created or truncated).
Status WriteDatasetJsonl(const std::string& path, const std::vector<DatasetRow>& rows);

}  // namespace kaizen::agents
