// Renders a Schema as a markdown reference: one section per mapping, one
// table row per key with its full key path, type, default and description.
// docs/manifest.md embeds the output (see manifest_docs_main.cc).
#pragma once

#include <string>
#include <vector>

#include "config/schema.h"

namespace kaizen::config {

// Every key path the schema knows, in reference order. List items are
// written `a[]`, map entries `a.<name>`: "spec.teachers[].name",
// "spec.data.<name>.path".
std::vector<std::string> SchemaKeyPaths(const Schema& schema);

// The reference, starting with "## Reference" headings one level down.
std::string RenderSchemaMarkdown(const Schema& schema);

// The markers docs/manifest.md puts around the generated reference.
inline constexpr const char* kReferenceBegin = "<!-- BEGIN GENERATED REFERENCE: do not edit by hand -->";
inline constexpr const char* kReferenceEnd = "<!-- END GENERATED REFERENCE -->";

// Replaces the text between the markers in document with reference; false
// when the markers are missing.
bool ReplaceReference(std::string* document, const std::string& reference);

}  // namespace kaizen::config
