// Hostile manifests: whatever the text, loading gives a manifest or errors
// that each name the file, a line and a column, never a crash or a hang.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/manifest.h"
#include "test_util.h"

using kaizen::config::LoadManifestString;
using kaizen::config::LoadResult;
using kaizen::config::testing::Dump;
using kaizen::config::testing::Minimal;

namespace {

// Refused, and every error points into the file.
void CheckRefused(const LoadResult& r, const std::string& file) {
  INFO(Dump(r));
  REQUIRE_FALSE(r.ok());
  REQUIRE_FALSE(r.errors.empty());
  for (const auto& e : r.errors) {
    CHECK(e.file == file);
    CHECK(e.line >= 1);
    CHECK(e.column >= 1);
    CHECK_FALSE(e.message.empty());
  }
}

// The errors about keys under `prefix` (Minimal's own worker may draw others).
std::vector<kaizen::config::Diagnostic> Under(const LoadResult& r, const std::string& prefix) {
  std::vector<kaizen::config::Diagnostic> out;
  for (const auto& e : r.errors) {
    if (e.path.rfind(prefix, 0) == 0) out.push_back(e);
  }
  return out;
}

bool Says(const LoadResult& r, const std::string& text) {
  for (const auto& e : r.errors) {
    if (e.message.find(text) != std::string::npos || e.path.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("absurd numbers are range or type errors, not overflows", "[config][hostile]") {
  for (const char* v : {"1e999", "-1e999", ".inf", "-.inf", ".nan", "99999999999999999999999",
                               "-9223372036854775809", "18446744073709551616", "0x7fffffffffffffffff", "-0.0e-400"}) {
    LoadResult r = LoadManifestString(Minimal(std::string("  monitoring: {cooldown_s: ") + v + "}\n"), "n.yaml");
    INFO(v);
    CheckRefused(r, "n.yaml");
    auto mine = Under(r, "spec.monitoring.cooldown_s");
    REQUIRE(mine.size() == 1);
    CHECK(mine[0].line == 8);
    CHECK(mine[0].column == 28);
  }
  LoadResult share = LoadManifestString(Minimal("  deployment: {steps: [.nan, 1e999]}\n"), "s.yaml");
  CheckRefused(share, "s.yaml");
  CHECK(Under(share, "spec.deployment.steps").size() == 2);
}

TEST_CASE("wrong types everywhere: each is reported at its own line", "[config][hostile]") {
  LoadResult r = LoadManifestString(Minimal("  runtime: [1, 2]\n"
                                            "  monitoring: {cooldown_s: {a: b}}\n"
                                            "  deployment: {steps: 0.5}\n"
                                            "  training: {epochs: [5]}\n"),
                                    "t.yaml");
  CheckRefused(r, "t.yaml");
  const char* paths[] = {"spec.runtime", "spec.monitoring.cooldown_s", "spec.deployment.steps", "spec.training.epochs"};
  for (int i = 0; i < 4; ++i) {
    auto mine = Under(r, paths[i]);
    INFO(paths[i]);
    REQUIRE(mine.size() == 1);
    CHECK(mine[0].line == 8 + i);
  }
}

TEST_CASE("YAML bombs: block nesting, merge keys, long alias chains", "[config][hostile]") {
  // Deep block nesting (indentation, not brackets).
  std::string deep = Minimal("  x:\n");
  for (int i = 0; i < 500; ++i) deep += std::string(4 + 2 * i, ' ') + "k" + std::to_string(i) + ":\n";
  LoadResult d = LoadManifestString(deep, "deep.yaml");
  CheckRefused(d, "deep.yaml");
  CHECK(Says(d, "nesting deeper than"));

  // Exponential merge keys: each level merges the one below twice.
  std::string merge = Minimal("  m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n");
  for (int i = 1; i < 30; ++i) {
    merge += "  m" + std::to_string(i) + ": &m" + std::to_string(i) + " {<<: [*m" + std::to_string(i - 1) + ", *m" +
             std::to_string(i - 1) + "], x" + std::to_string(i) + ": [*m" + std::to_string(i - 1) + ", *m" +
             std::to_string(i - 1) + "]}\n";
  }
  LoadResult m = LoadManifestString(merge, "merge.yaml");
  CheckRefused(m, "merge.yaml");
  CHECK(Says(m, "expands to more than"));

  // Aliases of a long string where a number belongs: few nodes, many bytes.
  // Each is an error; the value is quoted shortened, and the list stops at 100.
  std::string wide = Minimal("  monitoring: {cooldown_s: &s0 \"" + std::string(100000, 'z') + "\"}\n");
  wide += "  deployment: {steps: [";
  for (int i = 0; i < 2000; ++i) wide += (i ? ", *s0" : "*s0");
  wide += "]}\n";
  LoadResult w = LoadManifestString(wide, "wide.yaml");
  CheckRefused(w, "wide.yaml");
  CHECK(w.errors.size() <= 101);
  for (const auto& e : w.errors) CHECK(e.message.size() < 300);

  // An alias to an anchor not (yet) defined, and one to itself.
  CheckRefused(LoadManifestString(Minimal("  a: *nowhere\n"), "u.yaml"), "u.yaml");
  CheckRefused(LoadManifestString(Minimal("  a: &self [*self]\n"), "self.yaml"), "self.yaml");
}

TEST_CASE("bytes that are not YAML text: NUL, bad UTF-8, a BOM in the middle, binary", "[config][hostile]") {
  const char nul[] = "  monitoring: {cooldown_s: 1\0 }\n";
  CheckRefused(LoadManifestString(Minimal(std::string(nul, sizeof nul - 1)), "nul.yaml"), "nul.yaml");
  CheckRefused(LoadManifestString(Minimal("  monitoring: {cooldown_s: \"\xff\xfe\xc3\x28\"}\n"), "utf.yaml"),
               "utf.yaml");
  CheckRefused(LoadManifestString(Minimal("  \xef\xbb\xbfmonitoring: {}\n"), "bom.yaml"), "bom.yaml");
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>((i * 131 + 7) & 0xff);
  CheckRefused(LoadManifestString(binary, "bin.yaml"), "bin.yaml");
  // Nothing but newlines: an error about the whole file (no position to give).
  LoadResult blank = LoadManifestString(std::string(100000, '\n'), "blank.yaml");
  REQUIRE(blank.errors.size() == 1);
  CHECK(blank.errors[0].file == "blank.yaml");
  CHECK(Says(blank, "the manifest is empty"));
}

TEST_CASE("many errors stay a short list, with positions", "[config][hostile]") {
  std::string many = Minimal("  monitoring:\n");
  for (int i = 0; i < 5000; ++i) many += "    bogus" + std::to_string(i) + ": 1\n";
  LoadResult r = LoadManifestString(many, "many.yaml");
  CheckRefused(r, "many.yaml");
  CHECK(r.errors.size() <= 101);
  CHECK(Says(r, "too many errors"));
}
