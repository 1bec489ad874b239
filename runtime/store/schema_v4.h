// Schema version 4: the tool repository (issue 19). One row per version of a
// tool the agent wrote for itself, accepted or rejected by its tests in the
// sandbox. The tool itself (code, schema, tests, their results, provenance)
// is the artifact file at `uri`, whose bytes hash to `sha256`; `spec_sha256`
// is the tool's content address (agents/tools/tool_spec.h), so the same tool
// written twice is one version.
#pragma once

namespace kaizen::store {

inline constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE tools (
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL,
  spec_sha256 TEXT NOT NULL,
  uri         TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  status      TEXT NOT NULL,
  reason      TEXT NOT NULL,
  cycle       TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX tools_by_spec ON tools(name, spec_sha256);
)sql";

}  // namespace kaizen::store
