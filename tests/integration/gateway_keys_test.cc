// `kaizen keys gateway NAME --file F` through the real binary: the key it
// prints verifies against the file, the file holds only hashes and is 0600,
// a name is added once, and `kaizen keys NAME` (CURVE pairs) still works.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "agents/gateway/api_keys.h"
#include "tests/integration/cluster_harness.h"
#include "tests/support/temp_dir.h"

using namespace kaizen;
using kaizen::testing::Kaizen;
using kaizen::testing::ReadFile;

namespace {

unsigned Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// The key printed on stdout: one line, nothing else.
std::string PrintedKey(const std::string& out) {
  std::smatch m;
  const bool alone = std::regex_match(out, m, std::regex("(kz-[0-9a-f]{64})\n"));
  INFO("stdout: [" << out << "]");
  CHECK(alone);
  return alone ? m[1].str() : "";
}

}  // namespace

TEST_CASE("kaizen keys gateway adds keys that verify, keeps only their hashes in a 0600 file",
          "[integration][gateway]") {
  testing::TempDir dir("gwcli");
  const std::string file = dir.file("gateway-keys.txt");

  auto alice = Kaizen("keys gateway alice --file " + file);
  REQUIRE(alice.exit_code == 0);
  const std::string alice_key = PrintedKey(alice.out);
  auto bob = Kaizen("keys gateway bob --file " + file);
  REQUIRE(bob.exit_code == 0);
  const std::string bob_key = PrintedKey(bob.out);
  REQUIRE_FALSE(alice_key.empty());
  REQUIRE_FALSE(bob_key.empty());
  CHECK(alice_key != bob_key);

  CHECK(Mode(file) == 0600);
  const std::string text = ReadFile(file);
  CHECK(text.find(alice_key) == std::string::npos);
  CHECK(text.find(bob_key) == std::string::npos);
  CHECK(text.find(alice_key.substr(3)) == std::string::npos);
  CHECK(text == "alice " + gateway::ApiKeyHash(alice_key) + "\nbob " + gateway::ApiKeyHash(bob_key) + "\n");

  auto keys = gateway::ApiKeys::Load(file);
  REQUIRE(keys.ok());
  CHECK(keys->size() == 2);
  CHECK(keys->Verify(alice_key) == std::optional<std::string>("alice"));
  CHECK(keys->Verify(bob_key) == std::optional<std::string>("bob"));

  // A name already in the file: refused, nothing printed, the file as it was.
  auto again = Kaizen("keys gateway alice --file " + file);
  CHECK(again.exit_code != 0);
  CHECK(again.out.empty());
  CHECK(ReadFile(file) == text);
}

TEST_CASE("kaizen keys gateway refuses bad input with exit code 2 and writes nothing", "[integration][gateway]") {
  testing::TempDir dir("gwcli");
  const std::string file = dir.file("gateway-keys.txt");
  CHECK(Kaizen("keys gateway 'no good' --file " + file).exit_code == 2);
  CHECK(Kaizen("keys gateway alice").exit_code == 2);         // no --file
  CHECK(Kaizen("keys gateway --file " + file).exit_code == 2);  // no name
  CHECK(Kaizen("keys gateway").exit_code == 2);
  CHECK(Kaizen("keys gateway alice --file " + file + " --force").exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE("kaizen keys NAME still makes CURVE key pairs, one named gateway too", "[integration][gateway]") {
  testing::TempDir dir("gwcli");
  const std::string d = dir.path().string();
  auto ops = Kaizen("keys ops --dir " + d);
  CHECK(ops.exit_code == 0);
  CHECK(std::filesystem::exists(d + "/ops.key"));
  CHECK(std::filesystem::exists(d + "/ops.pub"));
  CHECK(Mode(d + "/ops.key") == 0600);

  auto named_gateway = Kaizen("keys --dir " + d + " -- gateway");
  CHECK(named_gateway.exit_code == 0);
  CHECK(std::filesystem::exists(d + "/gateway.key"));
  CHECK(std::filesystem::exists(d + "/gateway.pub"));

  CHECK(Kaizen("keys").exit_code == 2);  // no name
}
