// CURVE key pairs and the files that hold them.
//
// A key file is small text, one `name = value` per line, '#' starts a comment:
//
//   NAME.key  (mode 0600: it holds the secret)     NAME.pub  (mode 0644)
//     public = <40 Z85 characters>                     public = <40 Z85 characters>
//     secret = <40 Z85 characters>
//
// Keys are ZeroMQ's Z85 text form of the 32-byte Curve25519 keys. A .key file
// can be given wherever a public key file is expected; only its public line
// is read then.
#pragma once

#include <string>

#include "runtime/base/result.h"

namespace kaizen::bus {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters
};

// True when libzmq was built with CURVE (zmq_has("curve")).
bool CurveAvailable();
// 40 characters of the Z85 alphabet.
bool IsZ85Key(const std::string& s);

Result<CurveKeyPair> GenerateCurveKeyPair();

// Writes `path` with owner-only permissions (0600) holding both keys.
// An existing file is replaced only when `overwrite`; the write is atomic.
Status WriteSecretKeyFile(const std::string& path, const CurveKeyPair& pair, bool overwrite);
// Writes `path` (0644) holding only the public key.
Status WritePublicKeyFile(const std::string& path, const std::string& public_key, bool overwrite);

// Reads a .key file. Refused when group or others may read it (like ssh),
// when a key is missing or not Z85, or when the public key does not belong
// to the secret one.
Result<CurveKeyPair> ReadSecretKeyFile(const std::string& path);
// The public key of a .pub (or .key) file.
Result<std::string> ReadPublicKeyFile(const std::string& path);

// Creates `dir` (and parents) and makes it owner-only (0700).
Status EnsurePrivateDir(const std::string& dir);

}  // namespace kaizen::bus
