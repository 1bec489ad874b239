// libFuzzer target: any text given as a manifest gives a manifest or errors
// with a position, never a crash, a hang or an exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string yaml(reinterpret_cast<const char*>(data), size);
  kaizen::config::LoadResult r = kaizen::config::LoadManifestString(yaml, "fuzz.yaml", "/tmp/kaizen-fuzz-state");
  if (!r.ok()) {
    for (const auto& e : r.errors) {
      if (e.file != "fuzz.yaml") std::abort();  // every error names the file
    }
  }
  return 0;
}
