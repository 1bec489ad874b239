#include "runtime/base/sha256.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

using namespace kaizen;

// Test vectors from NIST (FIPS 180-4 examples, "SHA-256 example" documents).
TEST_CASE("sha256 matches the NIST vectors", "[base][sha256]") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                  "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST_CASE("sha256 of one million 'a' fed incrementally", "[base][sha256]") {
  Sha256 h;
  const std::string piece(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(piece);
  CHECK(h.FinalHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 gives the same digest however the input is split", "[base][sha256]") {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  const std::string whole = Sha256Hex(data);
  // Split points around the 55/56/64-byte padding boundaries are the interesting ones.
  for (std::size_t cut : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 128u, 299u, 300u}) {
    Sha256 h;
    h.Update(std::string_view(data).substr(0, cut));
    h.Update(std::string_view(data).substr(cut));
    CHECK(h.FinalHex() == whole);
  }
  for (std::size_t len : {55u, 56u, 57u, 63u, 64u}) {
    Sha256 bytewise;
    for (std::size_t i = 0; i < len; ++i) bytewise.Update(&data[i], 1);
    CHECK(bytewise.FinalHex() == Sha256Hex(std::string_view(data).substr(0, len)));
  }
}

TEST_CASE("sha256 of a file streams its contents: a missing file is an error", "[base][sha256]") {
  auto path = std::filesystem::temp_directory_path() / ("kz-sha-" + std::to_string(::getpid()));
  std::string contents(200000, 'x');
  contents += "abc";
  {
    std::ofstream out(path, std::ios::binary);
    out << contents;
  }
  auto digest = Sha256File(path.string());
  REQUIRE(digest.ok());
  CHECK(*digest == Sha256Hex(contents));
  std::filesystem::remove(path);

  auto missing = Sha256File(path.string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Status::Code::kIOError);
}

TEST_CASE("an artifact is checked by its file:// URI or path against the hash its agent reported", "[base][sha256]") {
  const auto path = std::filesystem::temp_directory_path() / ("kz-artifact-" + std::to_string(::getpid()));
  std::ofstream(path) << "abc";
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CHECK(kaizen::CheckArtifactHash("model v2", "file://" + path.string(), abc).ok());
  CHECK(kaizen::CheckArtifactHash("model v2", path.string(), abc).ok());
  auto wrong = kaizen::CheckArtifactHash("model v2", "file://" + path.string(), std::string(64, '0'));
  CHECK(wrong.code() == kaizen::Status::Code::kCorruption);
  CHECK(wrong.message().find("model v2 at file://") == 0);
  CHECK(wrong.message().find("hashes to " + abc) != std::string::npos);
  CHECK(kaizen::CheckArtifactHash("dataset d", "", abc).message() == "dataset d has no uri");
  std::filesystem::remove(path);
  CHECK_FALSE(kaizen::CheckArtifactHash("model v2", path.string(), abc).ok());  // gone
}
