// spec.runtime.security: CURVE on, the server key file and the listed clients.
#include <algorithm>
#include <catch2/catch.hpp>

#include "config/manifest.h"
#include "tests/unit/config/test_util.h"

using namespace kaizen::config;
using namespace kaizen::config::testing;

namespace {

const char* const kKey = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";  // 40 Z85 characters

std::vector<std::string> PathsWithErrors(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(d.path);
  return out;
}

}  // namespace

TEST_CASE("security: curve off by default, server key under the state dir, no clients", "[config]") {
  LoadResult r = LoadManifestString(Minimal(), "m.yaml", "/tmp/kz-sec");
  INFO(Dump(r));
  REQUIRE(r.ok());
  CHECK_FALSE(r.manifest.runtime.curve);
  CHECK(r.manifest.runtime.server_key == "/tmp/kz-sec/keys/runtime.key");
  CHECK(r.manifest.runtime.clients.empty());
}

TEST_CASE("security: clients by key or by file, paths relative to the manifest", "[config]") {
  TempDir dir("security");
  dir.Write("keys/ops.pub", std::string("public = ") + kKey + "\n");
  const std::string yaml = Minimal(std::string("  runtime:\n"
                                                "    security:\n"
                                                "      curve: true\n"
                                                "      server_key: keys/runtime.key\n"
                                                "      clients:\n"
                                                "        - {name: ops, role: admin, public_key_file: keys/ops.pub}\n"
                                                "        - {name: alice, role: feedback, public_key: \"") +
                                    kKey + "\"}\n");
  const std::string file = dir.Write("m.yaml", yaml);
  LoadResult r = LoadManifestFile(file);
  INFO(Dump(r));
  REQUIRE(r.ok());
  const RuntimeSpec& rt = r.manifest.runtime;
  CHECK(rt.curve);
  CHECK(rt.server_key == (dir.path() / "keys/runtime.key").string());
  REQUIRE(rt.clients.size() == 2);
  CHECK(rt.clients[0].name == "ops");
  CHECK(rt.clients[0].role == "admin");
  CHECK(rt.clients[0].public_key.empty());
  CHECK(rt.clients[0].public_key_file == (dir.path() / "keys/ops.pub").string());
  CHECK(rt.clients[1].role == "feedback");
  CHECK(rt.clients[1].public_key == kKey);
}

TEST_CASE("security: a client needs exactly one key, a known role, a unique name and an existing file", "[config]") {
  const std::string key = std::string("\"") + kKey + "\"";
  const std::string yaml = Minimal("  runtime:\n"
                                   "    security:\n"
                                   "      curve: true\n"
                                   "      clients:\n"
                                   "        - {name: a, role: admin}\n"
                                   "        - {name: b, role: admin, public_key: " + key + ", public_key_file: b.pub}\n"
                                   "        - {name: c, role: root, public_key: " + key + "}\n"
                                   "        - {name: d, role: agent, public_key: too-short}\n"
                                   "        - {name: e, role: agent, public_key_file: /nonexistent/e.pub}\n"
                                   "        - {name: e, role: agent, public_key: " + key + "}\n");
  LoadResult r = LoadManifestString(yaml, "m.yaml");
  INFO(Dump(r));
  auto paths = PathsWithErrors(r);
  auto has = [&](const std::string& p) { return std::find(paths.begin(), paths.end(), p) != paths.end(); };
  CHECK(has("spec.runtime.security.clients[0]"));
  CHECK(has("spec.runtime.security.clients[1]"));
  CHECK(has("spec.runtime.security.clients[2].role"));
  CHECK(has("spec.runtime.security.clients[3].public_key"));
  CHECK(has("spec.runtime.security.clients[4].public_key_file"));
  CHECK(has("spec.runtime.security.clients[5].name"));
  CHECK(r.errors.size() == 6);
}
