#include "agents/gateway/api_keys.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "runtime/base/sha256.h"
#include "runtime/base/text.h"

namespace kaizen::gateway {
// Named, so that in a unity build these helpers cannot meet another file's.
namespace api_keys_impl {
namespace {

constexpr std::string_view kHashPrefix = "sha256:";
constexpr std::string_view kKeyPrefix = "kz-";
constexpr std::size_t kKeyRandomBytes = 32;

std::string ErrnoText(int err) { return std::strerror(err); }

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!IsHex(c)) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Splits on spaces and tabs.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Checks an open key file before it is read: a regular file, not writable by
// group or others, not too large. Returns its size.
Result<std::size_t> CheckKeyFile(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::IOError("stat " + path + ": " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + ": not a regular file");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Status::FailedPrecondition(path + ": group or others may write it (mode " + Octal(st.st_mode) +
                                      "), and whoever can write it can add a key; run chmod go-w " + path);
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxApiKeyFileBytes) {
    return Status::InvalidArgument(path + ": " + std::to_string(st.st_size) + " bytes, more than the " +
                                   std::to_string(kMaxApiKeyFileBytes) + " a key file may have");
  }
  return static_cast<std::size_t>(st.st_size);
}

// Reads `size` bytes from offset 0 (pread: an O_APPEND descriptor's offset is left alone).
Result<std::string> ReadFd(int fd, std::size_t size, const std::string& path) {
  std::string data(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, data.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("reading " + path + ": " + ErrnoText(errno));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  return data;
}

Status LockFd(int fd, int how, const std::string& path) {
  while (::flock(fd, how) != 0) {
    if (errno != EINTR) return Status::IOError("locking " + path + ": " + ErrnoText(errno));
  }
  return Status::OK();
}

Status FillRandom(uint8_t* out, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::getrandom(out + got, size - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != ENOSYS) return Status::IOError(std::string("getrandom: ") + ErrnoText(errno));
      break;  // a kernel without getrandom: read /dev/urandom below
    }
    got += static_cast<std::size_t>(n);
  }
  if (got == size) return Status::OK();
  Fd fd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::IOError("opening /dev/urandom: " + ErrnoText(errno));
  while (got < size) {
    const ssize_t n = ::read(fd.get(), out + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError("reading /dev/urandom: " + (n < 0 ? ErrnoText(errno) : "end of file"));
    got += static_cast<std::size_t>(n);
  }
  return Status::OK();
}

Result<std::string> NewPlainKey() {
  std::array<uint8_t, kKeyRandomBytes> bytes{};
  if (Status s = FillRandom(bytes.data(), bytes.size()); !s.ok()) return s;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string key(kKeyPrefix);
  for (uint8_t b : bytes) {
    key.push_back(kDigits[b >> 4]);
    key.push_back(kDigits[b & 0xf]);
  }
  return key;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("writing " + path + ": " + ErrnoText(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::OK();
}

}  // namespace
}  // namespace api_keys_impl


bool IsValidApiKeyName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

std::string ApiKeyHash(std::string_view plain_key) {
  return std::string(api_keys_impl::kHashPrefix) + Sha256Hex(plain_key);
}

Result<ApiKeys> ApiKeys::Parse(std::string_view text, const std::string& source) {
  ApiKeys keys;
  std::unordered_map<std::string, int> line_of_name;
  std::unordered_map<std::string, int> line_of_hash;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (std::size_t hash_mark = line.find('#'); hash_mark != std::string_view::npos) line = line.substr(0, hash_mark);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto fields = api_keys_impl::Fields(line);
    if (fields.empty()) continue;

    // Messages never quote the hash field: a plain key pasted there by
    // mistake must not end up in a log.
    const std::string where = source + ":" + std::to_string(line_no) + ": ";
    const std::string name(fields[0]);
    if (!IsValidApiKeyName(name)) {
      return Status::InvalidArgument(where + "bad name '" + Abbreviate(name, 70) +
                                     "': use letters, digits, '_', '.', '-' (up to 63, the first a letter or digit)");
    }
    if (fields.size() != 2) {
      return Status::InvalidArgument(where + "expected `NAME sha256:HEX` (two fields), found " +
                                     std::to_string(fields.size()) + " for '" + name + "'");
    }
    std::string_view hash = fields[1];
    constexpr std::string_view kPrefix = api_keys_impl::kHashPrefix;
    if (hash.substr(0, kPrefix.size()) != kPrefix || !api_keys_impl::IsHex64(hash.substr(kPrefix.size()))) {
      std::string why = "expected sha256: followed by 64 hex digits";
      if (api_keys_impl::IsHex64(hash)) {
        why = "write it as sha256:HEX (the sha256: prefix is missing)";
      } else if (hash.substr(0, api_keys_impl::kKeyPrefix.size()) == api_keys_impl::kKeyPrefix) {
        why = "this looks like a plain key; the file holds only its hash (see docs/security.md, Gateway API keys)";
      }
      return Status::InvalidArgument(where + "bad hash for '" + name + "': " + why);
    }
    std::string hex = api_keys_impl::Lower(hash.substr(kPrefix.size()));
    if (auto it = line_of_name.find(name); it != line_of_name.end()) {
      return Status::InvalidArgument(where + "duplicate name '" + name + "' (first at line " +
                                     std::to_string(it->second) + ")");
    }
    if (auto it = line_of_hash.find(hex); it != line_of_hash.end()) {
      return Status::InvalidArgument(where + "duplicate key: '" + name + "' has the same hash as '" +
                                     keys.name_by_hash_[hex] + "' (line " + std::to_string(it->second) +
                                     "); give each key one name");
    }
    line_of_name.emplace(name, line_no);
    line_of_hash.emplace(hex, line_no);
    keys.names_.insert(name);
    keys.name_by_hash_.emplace(std::move(hex), name);
  }
  return keys;
}

Result<ApiKeys> ApiKeys::Load(const std::string& path) {
  api_keys_impl::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return Status::NotFound("API key file " + path +
                              ": no such file (add a key with `kaizen keys gateway NAME --file " + path + "`)");
    }
    return Status::IOError("opening API key file " + path + ": " + api_keys_impl::ErrnoText(err));
  }
  // Shared with other readers; waits out an AddApiKey appending a line.
  if (Status s = api_keys_impl::LockFd(fd.get(), LOCK_SH, path); !s.ok()) return s;
  auto size = api_keys_impl::CheckKeyFile(fd.get(), path);
  if (!size.ok()) return size.status();
  auto text = api_keys_impl::ReadFd(fd.get(), *size, path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

std::optional<std::string> ApiKeys::Verify(std::string_view presented_key) const {
  if (presented_key.empty() || presented_key.size() > kMaxApiKeyBytes) return std::nullopt;
  // A hash-table look-up of the key's SHA-256: its timing depends on the
  // hash, which an attacker cannot steer towards a stored one.
  auto it = name_by_hash_.find(Sha256Hex(presented_key));
  if (it == name_by_hash_.end()) return std::nullopt;
  return it->second;
}

Status AddApiKey(const std::string& path, const std::string& name, std::string* plain_key) {
  if (plain_key == nullptr) return Status::Internal("AddApiKey: plain_key is null");
  if (!IsValidApiKeyName(name)) {
    return Status::InvalidArgument("bad key name '" + Abbreviate(name, 70) +
                                   "': use letters, digits, '_', '.', '-' (up to 63, the first a letter or digit)");
  }
  bool created = true;
  int raw = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (raw < 0 && errno == EEXIST) {
    created = false;
    raw = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  }
  if (raw < 0) return Status::IOError("opening " + path + ": " + api_keys_impl::ErrnoText(errno));
  api_keys_impl::Fd fd(raw);

  // The umask may have taken bits away from 0600; make it exactly that.
  // (A file made here is left, empty, if what follows fails: removing it
  // could pull it from under another adder already waiting for the lock.)
  if (created && ::fchmod(fd.get(), 0600) != 0) {
    return Status::IOError("chmod 0600 " + path + ": " + api_keys_impl::ErrnoText(errno));
  }
  // One adder at a time, so two cannot both find a name free and both add it.
  if (Status s = api_keys_impl::LockFd(fd.get(), LOCK_EX, path); !s.ok()) return s;
  // An editor that saves by renaming leaves us holding the old file, which a
  // line appended to would be lost with.
  struct stat held {}, named {};
  if (::fstat(fd.get(), &held) != 0 || ::stat(path.c_str(), &named) != 0 || held.st_dev != named.st_dev ||
      held.st_ino != named.st_ino) {
    return Status::Unavailable(path + " was replaced or removed while the key was being added; run it again");
  }
  auto size = api_keys_impl::CheckKeyFile(fd.get(), path);
  if (!size.ok()) return size.status();
  auto text = api_keys_impl::ReadFd(fd.get(), *size, path);
  if (!text.ok()) return text.status();
  auto keys = ApiKeys::Parse(*text, path);
  if (!keys.ok()) return keys.status().WithContext("not adding a key to a file with an error");
  if (keys->Contains(name)) {
    return Status::AlreadyExists(path + " lists a key named '" + name +
                                 "' already; pick another name, or delete its line first to replace that key");
  }

  auto key = api_keys_impl::NewPlainKey();
  if (!key.ok()) return key.status();
  std::string line = (!text->empty() && text->back() != '\n') ? "\n" : "";
  line += name + " " + ApiKeyHash(*key) + "\n";

  Status s = api_keys_impl::WriteAll(fd.get(), line, path);
  if (s.ok() && ::fsync(fd.get()) != 0) s = Status::IOError("fsync " + path + ": " + api_keys_impl::ErrnoText(errno));
  if (s.ok() && created) {
    // Make the new file's directory entry durable too.
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    api_keys_impl::Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0) {
      s = Status::IOError("fsync directory " + dir + " of " + path + ": " + api_keys_impl::ErrnoText(errno));
    }
  }
  if (!s.ok()) {
    // Take the line (or the part written) out again: the file stays
    // loadable and lists no key whose plain form nobody was given.
    if (::ftruncate(fd.get(), static_cast<off_t>(text->size())) != 0) {
      return s.WithContext("(and cutting " + path + " back to " + std::to_string(text->size()) +
                           " bytes failed: delete its last line by hand)");
    }
    return s;
  }
  *plain_key = std::move(*key);
  // The descriptor closes here; after a successful fsync a close cannot lose the line.
  return Status::OK();
}

}  // namespace kaizen::gateway
