#include "config/diagnostic.h"

#include <algorithm>
#include <tuple>

namespace kaizen::config {

std::string Diagnostic::ToString() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  s += ": error: ";
  if (!path.empty()) s += path + ": ";
  return s + message;
}

const char* RestartPolicyName(RestartPolicy p) {
  switch (p) {
    case RestartPolicy::kAlways: return "always";
    case RestartPolicy::kOnFailure: return "on-failure";
    case RestartPolicy::kNever: return "never";
  }
  return "always";
}

const char* PlacementName(Placement p) {
  switch (p) {
    case Placement::kFork: return "fork";
    case Placement::kSlurm: return "slurm";
    case Placement::kExternal: return "external";
  }
  return "fork";
}

Diagnostic MakeDiagnostic(const std::string& file, const YAML::Mark& mark, std::string path, std::string message) {
  Diagnostic d;
  d.file = file;
  if (!mark.is_null() && mark.line >= 0) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  d.path = std::move(path);
  d.message = std::move(message);
  return d;
}

void SortByPosition(std::vector<Diagnostic>* diagnostics) {
  std::stable_sort(diagnostics->begin(), diagnostics->end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

}  // namespace kaizen::config
