// Whole-file writes that readers never see half done: a model being replaced is
// either the old file or the new one, even if the writer crashes mid-way.
#pragma once

#include <string>
#include <string_view>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen {

// Writes to a temporary file in the same directory, fsyncs it, renames it over `path`
// and fsyncs the directory. The temporary file is removed on failure.
Status WriteFileAtomically(const std::string& path, std::string_view contents);

// Reads a whole file, refusing files larger than `max_bytes` before reading them.
Result<std::string> ReadWholeFile(const std::string& path, std::size_t max_bytes);

}  // namespace kaizen
