// kaizen_manifest_docs: prints the manifest reference rendered from the
// schema, or with --update FILE rewrites the generated part of FILE.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "config/manifest_schema.h"
#include "config/markdown.h"

int main(int argc, char** argv) {
  using namespace kaizen::config;
  const std::string reference = RenderSchemaMarkdown(ManifestSchema());
  if (argc == 1) {
    std::fputs(reference.c_str(), stdout);
    return 0;
  }
  if (argc != 3 || std::strcmp(argv[1], "--update") != 0) {
    std::fprintf(stderr, "usage: %s [--update docs/manifest.md]\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[2]);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read\n", argv[2]);
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  if (!ReplaceReference(&doc, reference)) {
    std::fprintf(stderr, "%s: markers not found:\n  %s\n  %s\n", argv[2], kReferenceBegin, kReferenceEnd);
    return 1;
  }
  std::ofstream out(argv[2], std::ios::trunc);
  out << doc;
  return out ? 0 : 1;
}
