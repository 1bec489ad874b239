// Helpers for making and ordering Diagnostics (the type is in manifest.h).
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/manifest.h"

namespace kaizen::config {

// yaml-cpp marks are 0-based; a null mark (-1) becomes line 0 = "no position".
Diagnostic MakeDiagnostic(const std::string& file, const YAML::Mark& mark, std::string path, std::string message);

// File order: by line, then column; problems without a position first.
void SortByPosition(std::vector<Diagnostic>* diagnostics);

}  // namespace kaizen::config
