// A cheap first pass over the YAML events, before yaml-cpp builds its tree:
// refuses absurd input (deep nesting, aliases that expand to a huge tree,
// several documents) with a position, instead of exhausting the stack or memory.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

namespace kaizen::config {

struct YamlLimits {
  int max_depth = 32;                // a manifest nests about 6 deep
  size_t max_expanded_nodes = 100000;  // counting each alias as the nodes it stands for
};

struct YamlProblem {
  YAML::Mark mark;
  std::string message;
};

// The first problem found, if any. Syntax errors are left for the real parse,
// which reports them the same way.
std::optional<YamlProblem> CheckYamlShape(const std::string& text, YamlLimits limits = {});

}  // namespace kaizen::config
