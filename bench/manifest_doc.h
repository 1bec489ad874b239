// ManifestDoc: a scenario manifest as a YAML tree that a benchmark edits by
// dotted key (`spec.planning.teacher_budget.max_calls`) and writes back out.
// Keys, values and flow/block style survive; comments do not.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::bench {

struct ManifestEdit {
  // Dotted path from the document's root; a number indexes a list
  // ("spec.teachers.0.noise").
  std::string key;
  // YAML text for the new value: "random", "false", "1000", "[a, b]".
  std::string value;
};

class ManifestDoc {
 public:
  // InvalidArgument (naming `file`) when `text` is not YAML or not a mapping.
  static Result<ManifestDoc> Parse(const std::string& text, const std::string& file);

  // Copies share one tree (YAML::Node is a handle); a clone is independent.
  ManifestDoc Clone() const { return ManifestDoc(YAML::Clone(root_)); }

  // Sets `edit.key` to `edit.value` parsed as YAML, creating the mappings on
  // the way (a missing or empty `defer:` becomes a mapping). InvalidArgument
  // for a path through a scalar, a list index that is not a number or is past
  // the end, or a value that is not YAML.
  Status Set(const ManifestEdit& edit);
  // Set, for each edit in order; stops at the first that fails.
  Status Apply(const std::vector<ManifestEdit>& edits);

  // The node at `key`; an undefined node when absent.
  YAML::Node At(const std::string& key) const;
  // The scalar at `key`; nullopt when absent or not a scalar.
  std::optional<std::string> Scalar(const std::string& key) const;

  // Every relative spec.data.<name>.path (and spec.evaluation.constitution.path)
  // made absolute against `base_dir` (the manifest's own directory, which the
  // copy no longer sits in).
  void AbsoluteDataPaths(const std::string& base_dir);

  // The document as YAML text.
  std::string Text() const;

 private:
  explicit ManifestDoc(YAML::Node root) : root_(std::move(root)) {}
  YAML::Node root_;
};

}  // namespace kaizen::bench
