#include "runtime/audit/audit_chain.h"

#include <map>

#include "runtime/base/sha256.h"

namespace kaizen::audit {
namespace {

using json = nlohmann::json;

// Sorted keys (nlohmann's default object is a std::map), no whitespace; a
// string that is not UTF-8 is written with U+FFFD instead of throwing, the
// same way every time.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json ArtifactsJson(const std::vector<ArtifactRef>& artifacts) {
  json a = json::array();
  for (const auto& r : artifacts) a.push_back({{"uri", r.uri}, {"sha256", r.sha256}});
  return a;
}

std::string Entry(uint64_t seq) { return "entry " + std::to_string(seq); }

}  // namespace

const std::string kGenesisPrevHash(64, '0');

std::string CanonicalBytes(const AuditEntry& e) {
  const json j = {{"seq", e.seq},         {"ts_ms", e.ts_ms},   {"cycle", e.cycle},
                  {"kind", e.kind},       {"actor", e.actor},   {"body", e.body},
                  {"artifacts", ArtifactsJson(e.artifacts)}, {"prev_hash", e.prev_hash}};
  return Dump(j);
}

std::string HashEntry(const AuditEntry& e) { return Sha256Hex(CanonicalBytes(e)); }

void ChainAfter(const AuditEntry* prev, AuditEntry* e) {
  e->seq = prev ? prev->seq + 1 : 1;
  e->prev_hash = prev ? prev->hash : kGenesisPrevHash;
  e->hash = HashEntry(*e);
}

std::string BodyText(const json& body) { return Dump(body); }
std::string ArtifactsText(const std::vector<ArtifactRef>& artifacts) { return Dump(ArtifactsJson(artifacts)); }

void FromStoredColumns(const std::string& body_text, const std::string& artifacts_text, AuditEntry* e) {
  e->unreadable.clear();
  json body = json::parse(body_text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    e->body = json::object();
    e->unreadable = "its body is not a JSON object";
  } else if (BodyText(body) != body_text) {
    e->body = std::move(body);
    e->unreadable = "its body is not stored the way Kaizen writes it (edited by hand?)";
  } else {
    e->body = std::move(body);
  }
  e->artifacts.clear();
  json a = json::parse(artifacts_text, nullptr, /*allow_exceptions=*/false);
  bool ok = a.is_array();
  for (size_t i = 0; ok && i < a.size(); ++i) {
    const json& r = a[i];
    ok = r.is_object() && r.size() == 2 && r.contains("uri") && r["uri"].is_string() && r.contains("sha256") &&
         r["sha256"].is_string();
    if (ok) e->artifacts.push_back({r["uri"].get<std::string>(), r["sha256"].get<std::string>()});
  }
  if (ok) ok = ArtifactsText(e->artifacts) == artifacts_text;
  if (!ok && e->unreadable.empty()) e->unreadable = "its artifact list is not stored the way Kaizen writes it";
}

json ToJson(const AuditEntry& e) {
  return {{"seq", e.seq},         {"ts_ms", e.ts_ms},   {"cycle", e.cycle},
          {"kind", e.kind},       {"actor", e.actor},   {"body", e.body},
          {"artifacts", ArtifactsJson(e.artifacts)}, {"prev_hash", e.prev_hash}, {"hash", e.hash}};
}

VerifyReport VerifyChain(const std::vector<AuditEntry>& entries, const ArtifactHasher& hash_artifact) {
  VerifyReport report;
  // One hash per file: many entries list the same model (registered, evaluated, promoted).
  std::map<std::string, Result<std::string>> hashed;
  auto broken = [&](uint64_t seq, std::string what) {
    report.broken = BrokenLink{seq, Entry(seq) + ": " + std::move(what)};
    return report;
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    const AuditEntry& e = entries[i];
    const uint64_t want = i + 1;
    if (e.seq != want) {
      const std::string before = std::to_string(want - 1);
      if (e.seq > want) {
        report.broken = BrokenLink{want, Entry(want) + " is missing (seq jumps from " + before + " to " +
                                             std::to_string(e.seq) + ")"};
      } else {
        report.broken = BrokenLink{want, Entry(want) + " is out of place (seq " + std::to_string(e.seq) +
                                             " follows " + before + ": entries reordered or repeated)"};
      }
      return report;
    }
    if (!e.unreadable.empty()) return broken(want, e.unreadable);
    if (HashEntry(e) != e.hash) return broken(want, "its hash does not match its contents");
    if (i == 0 && e.prev_hash != kGenesisPrevHash) return broken(want, "prev_hash is not the genesis value (64 zeros)");
    if (i > 0 && e.prev_hash != entries[i - 1].hash) {
      return broken(want, "prev_hash is not " + Entry(want - 1) + "'s hash");
    }
    for (const ArtifactRef& a : e.artifacts) {
      auto it = hashed.find(a.uri);
      if (it == hashed.end()) it = hashed.emplace(a.uri, hash_artifact(a.uri)).first;
      const Result<std::string>& actual = it->second;
      if (!actual.ok()) return broken(want, "artifact " + a.uri + " cannot be read: " + actual.status().message());
      if (*actual != a.sha256) {
        return broken(want, "artifact " + a.uri + " has sha256 " + *actual + ", the log says " + a.sha256);
      }
    }
    ++report.entries;
  }
  report.artifacts = hashed.size();
  return report;
}

}  // namespace kaizen::audit
