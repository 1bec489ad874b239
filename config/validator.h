// Checks a YAML node tree against a Schema and turns it into JSON with the
// schema's defaults filled in. Every problem becomes a Diagnostic; the walk
// goes on past errors so that one run reports them all.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "config/manifest.h"
#include "config/schema.h"

namespace kaizen::config {

// Where each key path was written, for checks that run after validation.
class MarkIndex {
 public:
  void Set(const std::string& path, const YAML::Mark& mark) { marks_[path] = mark; }
  bool Has(const std::string& path) const { return marks_.count(path) != 0; }
  // The mark of path, else of its nearest ancestor that was written; null mark if none.
  YAML::Mark Find(std::string path) const;

 private:
  std::map<std::string, YAML::Mark> marks_;
};

struct ValidationLimits {
  size_t max_values = 200000;  // aliases can make a small file a huge tree
  size_t max_errors = 100;     // past this, stop: the rest is noise
};

class Validator {
 public:
  Validator(std::string file, std::vector<Diagnostic>* errors, ValidationLimits limits = {});

  // node as JSON per schema, defaults applied. Where a part is invalid it is
  // left out (object keys, map entries) or null (list items, the node itself),
  // so checks that run afterwards see what was valid.
  // path is the key path of node ("" for the document); at is where to
  // report problems with node itself.
  nlohmann::json Validate(const Schema& schema, const YAML::Node& node, const std::string& path,
                          const YAML::Mark& at);
  nlohmann::json Validate(const Schema& schema, const YAML::Node& node) {
    return Validate(schema, node, "", node.Mark());
  }

  const MarkIndex& marks() const { return marks_; }
  void Error(const YAML::Mark& at, const std::string& path, std::string message);
  // Whether an error was reported at prefix or inside it ("" = anywhere):
  // later checks skip what already failed rather than pile on.
  bool HasErrorsUnder(const std::string& prefix) const;

 private:
  nlohmann::json Object(const Schema& schema, const YAML::Node& node, const std::string& path, const YAML::Mark& at,
                        const Schema* in_union = nullptr, const std::string& variant = "");
  nlohmann::json Union(const Schema& schema, const YAML::Node& node, const std::string& path, const YAML::Mark& at);
  nlohmann::json List(const Schema& schema, const YAML::Node& node, const std::string& path, const YAML::Mark& at);
  nlohmann::json Map(const Schema& schema, const YAML::Node& node, const std::string& path, const YAML::Mark& at);
  nlohmann::json Scalar(const Schema& schema, const YAML::Node& node, const std::string& path, const YAML::Mark& at);
  void UnknownKey(const Schema& schema, const YAML::Node& key, const std::string& path, const Schema* in_union,
                  const std::string& variant);
  void Mismatch(const Schema& schema, const YAML::Node& node, const std::string& path, const YAML::Mark& at);

  std::string file_;
  std::vector<Diagnostic>* errors_;
  ValidationLimits limits_;
  MarkIndex marks_;
  std::vector<std::string> error_paths_;
  size_t values_ = 0;
  size_t own_errors_ = 0;
  bool stopped_ = false;
};

// "a.b" + "c" = "a.b.c"; "" + "c" = "c".
std::string JoinPath(const std::string& parent, const std::string& key);

}  // namespace kaizen::config
