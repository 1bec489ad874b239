#include "runtime/base/artifact_uri.h"

namespace kaizen {

std::optional<std::string> LocalPathOfUri(const std::string& uri) {
  const std::string scheme = "file://";
  if (uri.rfind(scheme, 0) == 0) return uri.substr(scheme.size());
  if (uri.find("://") != std::string::npos) return std::nullopt;
  return uri;
}

}  // namespace kaizen
