// The audit trail's hash chain: stable hashes, a chain that verifies, and
// every single-byte edit, deletion, reordering or artifact change found at
// the entry where it was made.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "runtime/audit/audit_chain.h"

using kaizen::Result;
using kaizen::Status;
using kaizen::audit::AuditEntry;
using kaizen::audit::VerifyChain;
using json = nlohmann::json;

namespace {

// Artifact files as a map uri -> sha256 (a missing uri is a missing file).
struct AuditTestFiles {
  std::map<std::string, std::string> sha;
  kaizen::audit::ArtifactHasher Hasher() const {
    return [this](const std::string& uri) -> Result<std::string> {
      auto it = sha.find(uri);
      if (it == sha.end()) return Status::NotFound("no file " + uri);
      return it->second;
    };
  }
};

std::string AuditTestHex(char c) { return std::string(64, c); }

// A chain of `n` entries with bodies, strings and artifacts of every kind.
std::vector<AuditEntry> AuditTestChain(int n, AuditTestFiles* files) {
  std::vector<AuditEntry> chain;
  for (int i = 0; i < n; ++i) {
    AuditEntry e;
    e.ts_ms = 1700000000000 + i * 1000;
    e.cycle = i == 0 ? "" : "c1";
    e.kind = i == 0 ? "initial_model" : "plan";
    e.actor = i % 2 ? "planning-1" : "alice (cli-42)";
    e.body = {{"reason", "step " + std::to_string(i) + " \xc3\xa9"},
              {"cost", 0.25 * i},
              {"rows", i * 7},
              {"nested", {{"ok", i % 2 == 0}, {"list", json::array({1, "two", nullptr})}}}};
    const std::string uri = "file:///state/artifacts/models/m" + std::to_string(i % 3) + ".json";
    e.artifacts.push_back({uri, AuditTestHex(static_cast<char>('a' + i % 3))});
    files->sha[uri] = AuditTestHex(static_cast<char>('a' + i % 3));
    kaizen::audit::ChainAfter(chain.empty() ? nullptr : &chain.back(), &e);
    chain.push_back(e);
  }
  return chain;
}

// `e` after a round trip through the stored columns with byte `i` of `column` flipped.
AuditEntry AuditTestStoredFlip(AuditEntry e, bool body, size_t i) {
  std::string b = kaizen::audit::BodyText(e.body), a = kaizen::audit::ArtifactsText(e.artifacts);
  std::string& s = body ? b : a;
  s[i] = static_cast<char>(s[i] ^ 0x01);
  kaizen::audit::FromStoredColumns(b, a, &e);
  return e;
}

}  // namespace

TEST_CASE("audit: an entry's hash covers every field but the hash, and is stable", "[audit]") {
  AuditEntry e;
  e.seq = 1;
  e.ts_ms = 1700000000000;
  e.cycle = "c1";
  e.kind = "trigger";
  e.actor = "monitoring-1";
  e.body = {{"b", 2}, {"a", "x"}};
  e.artifacts = {{"file:///a", AuditTestHex('f')}};
  e.prev_hash = kaizen::audit::kGenesisPrevHash;
  CHECK(kaizen::audit::CanonicalBytes(e) ==
        R"({"actor":"monitoring-1","artifacts":[{"sha256":")" + AuditTestHex('f') +
            R"(","uri":"file:///a"}],"body":{"a":"x","b":2},"cycle":"c1","kind":"trigger","prev_hash":")" +
            std::string(64, '0') + R"(","seq":1,"ts_ms":1700000000000})");
  // Pinned: an entry written once must hash the same in every later release.
  CHECK(kaizen::audit::HashEntry(e) == "baf711de4f0dc6cd1bfc63354d9b63397ca41049efce4f21145a7c3b00dec91b");
  AuditEntry same = e;
  same.hash = "anything";
  same.unreadable = "not hashed";
  CHECK(kaizen::audit::HashEntry(same) == kaizen::audit::HashEntry(e));
}

TEST_CASE("audit: a chain of entries verifies, and counts each artifact once", "[audit]") {
  AuditTestFiles files;
  auto chain = AuditTestChain(12, &files);
  CHECK(chain.front().prev_hash == std::string(64, '0'));
  CHECK(chain.front().seq == 1);
  CHECK(chain.back().seq == 12);
  auto r = VerifyChain(chain, files.Hasher());
  INFO((r.broken ? r.broken->what : "intact"));
  CHECK(r.intact());
  CHECK(r.entries == 12);
  CHECK(r.artifacts == 3);
  CHECK(VerifyChain({}, files.Hasher()).intact());
}

TEST_CASE("audit: a flipped byte in any field of any entry is found at that entry", "[audit]") {
  AuditTestFiles files;
  const auto chain = AuditTestChain(5, &files);
  size_t tried = 0;
  auto expect_broken_at = [&](const std::vector<AuditEntry>& edited, uint64_t seq, const std::string& what) {
    ++tried;
    auto r = VerifyChain(edited, files.Hasher());
    INFO(what << " of entry " << seq);
    REQUIRE_FALSE(r.intact());
    INFO(r.broken->what);
    CHECK(r.broken->seq == seq);
    CHECK(r.broken->what.rfind("entry " + std::to_string(seq), 0) == 0);
  };
  for (size_t n = 0; n < chain.size(); ++n) {
    const uint64_t seq = n + 1;
    auto flip_string = [&](std::string AuditEntry::*field, const char* name) {
      for (size_t i = 0; i < (chain[n].*field).size(); ++i) {
        auto edited = chain;
        std::string& s = edited[n].*field;
        s[i] = static_cast<char>(s[i] ^ 0x20);
        expect_broken_at(edited, seq, name);
      }
    };
    flip_string(&AuditEntry::cycle, "cycle");
    flip_string(&AuditEntry::kind, "kind");
    flip_string(&AuditEntry::actor, "actor");
    flip_string(&AuditEntry::prev_hash, "prev_hash");
    flip_string(&AuditEntry::hash, "hash");
    for (int byte = 0; byte < 8; ++byte) {
      auto edited = chain;
      edited[n].ts_ms ^= int64_t{1} << (8 * byte);
      expect_broken_at(edited, seq, "ts_ms");
      edited = chain;
      edited[n].seq ^= uint64_t{1} << (8 * byte);
      expect_broken_at(edited, seq, "seq");
    }
    for (size_t i = 0; i < kaizen::audit::BodyText(chain[n].body).size(); ++i) {
      auto edited = chain;
      edited[n] = AuditTestStoredFlip(chain[n], true, i);
      expect_broken_at(edited, seq, "body byte " + std::to_string(i));
    }
    for (size_t i = 0; i < kaizen::audit::ArtifactsText(chain[n].artifacts).size(); ++i) {
      auto edited = chain;
      edited[n] = AuditTestStoredFlip(chain[n], false, i);
      expect_broken_at(edited, seq, "artifacts byte " + std::to_string(i));
    }
  }
  CHECK(tried > 1000);
}

TEST_CASE("audit: the stored columns read back as written", "[audit]") {
  AuditTestFiles files;
  auto chain = AuditTestChain(3, &files);
  AuditEntry e = chain[1];
  AuditEntry back = e;
  back.body = json::object();
  back.artifacts.clear();
  kaizen::audit::FromStoredColumns(kaizen::audit::BodyText(e.body), kaizen::audit::ArtifactsText(e.artifacts), &back);
  CHECK(back.unreadable.empty());
  CHECK(back.body == e.body);
  CHECK(back.artifacts == e.artifacts);
  CHECK(kaizen::audit::HashEntry(back) == e.hash);
  // Same JSON, other bytes (spaces): an edit all the same.
  kaizen::audit::FromStoredColumns("{\"a\": 1}", "[]", &back);
  CHECK_FALSE(back.unreadable.empty());
}

TEST_CASE("audit: deleted, reordered and repeated entries are found", "[audit]") {
  AuditTestFiles files;
  const auto chain = AuditTestChain(10, &files);
  auto deleted = chain;
  deleted.erase(deleted.begin() + 8);
  auto r = VerifyChain(deleted, files.Hasher());
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->seq == 9);
  CHECK(r.broken->what == "entry 9 is missing (seq jumps from 8 to 10)");

  auto first_gone = chain;
  first_gone.erase(first_gone.begin());
  r = VerifyChain(first_gone, files.Hasher());
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->seq == 1);

  auto swapped = chain;
  std::swap(swapped[3], swapped[4]);
  r = VerifyChain(swapped, files.Hasher());
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->seq == 4);

  // Renumbered after a deletion: the seqs are right, the links are not.
  auto renumbered = deleted;
  for (size_t i = 8; i < renumbered.size(); ++i) {
    renumbered[i].seq = i + 1;
    renumbered[i].hash = kaizen::audit::HashEntry(renumbered[i]);
  }
  r = VerifyChain(renumbered, files.Hasher());
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->seq == 9);
  CHECK(r.broken->what == "entry 9: prev_hash is not entry 8's hash");

  auto repeated = chain;
  repeated.insert(repeated.begin() + 5, chain[4]);
  r = VerifyChain(repeated, files.Hasher());
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->seq == 6);
}

TEST_CASE("audit: an artifact that changed or is gone is found at the first entry listing it", "[audit]") {
  AuditTestFiles files;
  const auto chain = AuditTestChain(6, &files);
  const std::string uri = chain[1].artifacts[0].uri;
  files.sha[uri] = AuditTestHex('9');
  auto r = VerifyChain(chain, files.Hasher());
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->seq == 2);
  CHECK(r.broken->what == "entry 2: artifact " + uri + " has sha256 " + AuditTestHex('9') + ", the log says " +
                              AuditTestHex('b'));
  files.sha.erase(uri);
  r = VerifyChain(chain, files.Hasher());
  REQUIRE_FALSE(r.intact());
  CHECK(r.broken->seq == 2);
  CHECK(r.broken->what.find("cannot be read: no file " + uri) != std::string::npos);
}
