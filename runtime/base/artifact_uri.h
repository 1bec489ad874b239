// Artifacts are local files named by file:// URIs (a plain path is accepted
// too). The one place that says which URIs are local and what their path is.
#pragma once

#include <optional>
#include <string>

namespace kaizen {

// The path of a file:// URI, or of a plain path (returned as is); nullopt
// for any other scheme ("s3://...", "http://..."), which callers refuse with
// their own words.
std::optional<std::string> LocalPathOfUri(const std::string& uri);

}  // namespace kaizen
