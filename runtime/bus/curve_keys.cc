#include "runtime/bus/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <zmq.h>

#include "runtime/base/ids.h"

namespace kaizen::bus {
namespace {

constexpr size_t kZ85KeyChars = 40;
constexpr size_t kMaxKeyFileBytes = 4096;  // a key file is ~150 bytes

std::string Errno() { return std::strerror(errno); }

// Writes `text` to `path` with `mode`, atomically: a temporary file in the
// same directory is linked into place (no overwrite) or renamed over it.
Status WriteFileAtomic(const std::string& path, const std::string& text, mode_t mode, bool overwrite) {
  std::string tmp = path + ".tmp-" + NewId();
  // O_EXCL + the mode at creation: the secret is never readable by others,
  // not even for a moment.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::IOError("cannot create " + tmp + ": " + Errno());
  ::fchmod(fd, mode);  // the umask may have taken bits away (0644 files)
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  std::string why = written ? "" : Errno();
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return Status::IOError("cannot write " + tmp + ": " + why);
  }
  int rc = overwrite ? ::rename(tmp.c_str(), path.c_str()) : ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());  // after link; a no-op after rename
  if (rc != 0) {
    if (err == EEXIST) return Status::AlreadyExists(path + " exists; use --force to replace it");
    return Status::IOError("cannot write " + path + ": " + std::strerror(err));
  }
  return Status::OK();
}

// `name = value` lines; '#' comments and blank lines are skipped.
Result<std::map<std::string, std::string>> ReadKeyValues(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read key file " + path + ": " + Errno());
  std::string text(kMaxKeyFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxKeyFileBytes) return Status::InvalidArgument(path + " is too large to be a key file");
  std::map<std::string, std::string> kv;
  std::istringstream lines(text);
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument(path + ": expected `name = value`, found '" + line + "'");
    }
    kv[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return kv;
}

Result<std::string> KeyLine(const std::map<std::string, std::string>& kv, const char* name, const std::string& path) {
  auto it = kv.find(name);
  if (it == kv.end()) return Status::InvalidArgument(path + ": no `" + std::string(name) + " = ...` line");
  if (!IsZ85Key(it->second)) {
    return Status::InvalidArgument(path + ": the " + name + " key is not 40 Z85 characters");
  }
  return it->second;
}

}  // namespace

bool CurveAvailable() { return zmq_has("curve") != 0; }

bool IsZ85Key(const std::string& s) {
  static const std::string kAlphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  return s.size() == kZ85KeyChars && s.find_first_not_of(kAlphabet) == std::string::npos;
}

Result<CurveKeyPair> GenerateCurveKeyPair() {
  if (!CurveAvailable()) return Status::FailedPrecondition("libzmq was built without CURVE support");
  char pub[kZ85KeyChars + 1], sec[kZ85KeyChars + 1];
  if (zmq_curve_keypair(pub, sec) != 0) {
    return Status::Internal(std::string("zmq_curve_keypair failed: ") + zmq_strerror(zmq_errno()));
  }
  return CurveKeyPair{pub, sec};
}

Status WriteSecretKeyFile(const std::string& path, const CurveKeyPair& pair, bool overwrite) {
  if (!IsZ85Key(pair.public_key) || !IsZ85Key(pair.secret_key)) {
    return Status::InvalidArgument("not a CURVE key pair (keys must be 40 Z85 characters)");
  }
  return WriteFileAtomic(path,
                         "# Kaizen CURVE key pair (ZeroMQ Z85). Secret: keep this file private (mode 0600).\n"
                         "public = " + pair.public_key + "\nsecret = " + pair.secret_key + "\n",
                         0600, overwrite);
}

Status WritePublicKeyFile(const std::string& path, const std::string& public_key, bool overwrite) {
  if (!IsZ85Key(public_key)) return Status::InvalidArgument("not a CURVE public key (40 Z85 characters)");
  return WriteFileAtomic(path,
                         "# Kaizen CURVE public key (ZeroMQ Z85). Safe to share: list it in a manifest.\n"
                         "public = " + public_key + "\n",
                         0644, overwrite);
}

Result<CurveKeyPair> ReadSecretKeyFile(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound("cannot read key file " + path + ": " + Errno());
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::FailedPrecondition("key file " + path + " has mode " + mode +
                                      ": a secret key must be owner-only (chmod 600 " + path + ")");
  }
  auto kv = ReadKeyValues(path);
  if (!kv.ok()) return kv.status();
  auto pub = KeyLine(*kv, "public", path);
  if (!pub.ok()) return pub.status();
  auto sec = KeyLine(*kv, "secret", path);
  if (!sec.ok()) return sec.status();
  char derived[kZ85KeyChars + 1];
  if (zmq_curve_public(derived, sec->c_str()) != 0 || *pub != derived) {
    return Status::Corruption(path + ": the public key does not belong to the secret key");
  }
  return CurveKeyPair{*pub, *sec};
}

Result<std::string> ReadPublicKeyFile(const std::string& path) {
  auto kv = ReadKeyValues(path);
  if (!kv.ok()) return kv.status();
  return KeyLine(*kv, "public", path);
}

Status EnsurePrivateDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return Status::IOError("cannot chmod 0700 " + dir + ": " + Errno());
  return Status::OK();
}

}  // namespace kaizen::bus
