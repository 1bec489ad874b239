// The audit trail: one entry per self-modification decision of Kaizen (a
// trigger, a plan, an approval or refusal and by whom, a dataset with its
// provenance, a candidate with its artifact hash, an evaluation, each
// rollout decision, a promotion, a rollback), hash-chained so that an edit
// is found afterwards.
//
// The chain: entry N (seq N, from 1, no gaps) holds prev_hash = entry N-1's
// hash (64 zeros for entry 1) and hash = SHA-256 of CanonicalBytes(entry),
// which cover every field but `hash`. So changing, deleting, inserting or
// reordering an entry breaks a link at that entry, and so does changing an
// artifact file an entry lists with its sha256. What the chain cannot see:
// the last entries cut off, or the whole log rewritten with consistent hashes
// by someone with write access to the state dir (docs/safety.md); an exported
// copy elsewhere anchors it.
//
// Entries are written by the store (Store::AppendAudit, inside the decision's
// transaction) and never updated or deleted there. No SQLite and no files
// here: VerifyChain gets the artifact hasher injected, so tests fake it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"

namespace kaizen::audit {

// An artifact an entry vouches for: verify re-hashes the file behind `uri`.
struct ArtifactRef {
  std::string uri;
  std::string sha256;
  bool operator==(const ArtifactRef&) const = default;
};

struct AuditEntry {
  uint64_t seq = 0;       // from 1, no gaps (set when appended)
  int64_t ts_ms = 0;      // wall clock of the decision
  std::string cycle;      // cycle id, "" when none (the initial model)
  std::string kind;       // the decision: trigger, plan, approval, promoted, ...
  std::string actor;      // who decided: agent or person ids, "runtime" for Kaizen itself
  nlohmann::json body = nlohmann::json::object();  // the decision's facts; open to more keys
  std::vector<ArtifactRef> artifacts;
  std::string prev_hash;  // the previous entry's hash; kGenesisPrevHash for entry 1
  std::string hash;       // SHA-256 (hex) of CanonicalBytes
  // Not hashed, never stored: set when a stored column does not read back as
  // what Kaizen writes (see FromStoredColumns); VerifyChain reports it.
  std::string unreadable;
};

// 64 zeros: the prev_hash of entry 1.
extern const std::string kGenesisPrevHash;

// The bytes `hash` covers: a JSON object of every field but `hash` (and
// `unreadable`), keys sorted, no whitespace. Stable across releases: an
// entry written once must hash the same forever.
std::string CanonicalBytes(const AuditEntry& e);
// SHA-256 of CanonicalBytes, 64 lowercase hex characters.
std::string HashEntry(const AuditEntry& e);
// Links `e` after `prev` (nullptr: `e` is the first entry): sets seq, prev_hash and hash.
void ChainAfter(const AuditEntry* prev, AuditEntry* e);

// The stored forms of `body` and `artifacts` (the canonical JSON text).
std::string BodyText(const nlohmann::json& body);
std::string ArtifactsText(const std::vector<ArtifactRef>& artifacts);
// Reads the stored columns back into `e`. Text that is not exactly what
// BodyText/ArtifactsText write (not JSON, not canonical: an edit) sets
// e->unreadable, so verify names the entry instead of hashing a guess.
void FromStoredColumns(const std::string& body_text, const std::string& artifacts_text, AuditEntry* e);

// Every field, hashes included (`kaizen audit export`, one object per line).
nlohmann::json ToJson(const AuditEntry& e);

// The sha256 of the file behind `uri`, or why it cannot be read (missing file).
using ArtifactHasher = std::function<Result<std::string>(const std::string& uri)>;

struct BrokenLink {
  uint64_t seq = 0;   // the entry where the chain breaks (its position: entry N is the N-th)
  std::string what;   // "entry 17: its hash does not match its contents"
};

struct VerifyReport {
  size_t entries = 0;     // entries checked (all of them when the chain is intact)
  size_t artifacts = 0;   // distinct artifact files re-hashed and matching
  std::optional<BrokenLink> broken;  // the first broken link, in seq order
  bool intact() const { return !broken.has_value(); }
};

// Checks `entries` (the whole log, in seq order) link by link: seq N at
// position N, the hash of its contents, prev_hash equal to the previous
// entry's hash, and each artifact hashing to the sha256 the entry holds
// (each file hashed once). Stops at the first broken link.
VerifyReport VerifyChain(const std::vector<AuditEntry>& entries, const ArtifactHasher& hash_artifact);

}  // namespace kaizen::audit
