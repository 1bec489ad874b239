// API keys of the HTTP gateway. The key file lists key NAMES and the SHA-256
// of each key, never a plain key, so a copy of the file (a backup, a leaked
// config) lets nobody in. Format (docs/security.md, "Gateway API keys"):
//
//   # comment; blank lines are ignored, and so is anything after '#'
//   alice sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//
// one key per line, NAME then the hash, separated by spaces or tabs. NAME
// matches [A-Za-z0-9][A-Za-z0-9_.-]{0,62}; the hash is 64 hex digits (either
// case). Names are unique, and so are hashes: one key has one name.
// `kaizen keys gateway NAME --file F` (AddApiKey) makes a key and adds its line.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "runtime/base/result.h"
#include "runtime/base/status.h"

namespace kaizen::gateway {

// A presented key longer than this never verifies (it is not hashed at all),
// so a client cannot make the gateway hash megabytes per request.
inline constexpr std::size_t kMaxApiKeyBytes = 1024;
// Key files larger than this are refused (about 100,000 keys).
inline constexpr std::size_t kMaxApiKeyFileBytes = 16u << 20;

class ApiKeys {
 public:
  // Reads and checks a key file. Errors name file:line and what is wrong
  // (bad name, bad hash, duplicate name or key). A file that group or others
  // may write is refused: whoever can write it can add a key. A file with no
  // keys loads, with size() 0 (a gateway then admits nobody).
  static Result<ApiKeys> Load(const std::string& path);
  // The same checks on text already in memory; `source` names it in errors.
  static Result<ApiKeys> Parse(std::string_view text, const std::string& source);

  // The name of the key `presented_key` is, or nullopt (unknown, empty or
  // longer than kMaxApiKeyBytes). Compares SHA-256 hashes, so how long the
  // look-up takes says nothing usable about any stored key. Const and
  // without side effects: safe from any number of threads at once.
  std::optional<std::string> Verify(std::string_view presented_key) const;

  // Whether a key with this name is listed.
  bool Contains(const std::string& name) const { return names_.count(name) > 0; }
  std::size_t size() const { return name_by_hash_.size(); }

 private:
  std::unordered_map<std::string, std::string> name_by_hash_;  // 64 lowercase hex -> name
  std::unordered_set<std::string> names_;
};

// "sha256:" + 64 lowercase hex of the key: its form in the key file.
std::string ApiKeyHash(std::string_view plain_key);

// Whether `name` may name a key: [A-Za-z0-9][A-Za-z0-9_.-]{0,62}.
bool IsValidApiKeyName(std::string_view name);

// Makes a new key named `name`, appends its line to the key file at `path`
// and stores the plain key in *plain_key (shown once; only its hash is kept).
// The key is "kz-" followed by 64 lowercase hex digits: 32 bytes from the
// kernel's random source (getrandom). The file is created with mode 0600 if
// missing; an existing file is checked as Load does, and a name already in
// it is refused (kAlreadyExists). Concurrent adders are serialized with an
// flock on the file; the line is written with one O_APPEND write and
// fsynced, and a failed write is undone (the file is cut back to its old
// length) and returned as an error.
Status AddApiKey(const std::string& path, const std::string& name, std::string* plain_key);

}  // namespace kaizen::gateway
