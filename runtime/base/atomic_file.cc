#include "runtime/base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace kaizen {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

// Owns a file descriptor; closes it on scope exit.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Close(); }
  int get() const { return fd_; }
  // Explicit close, for callers that must see the error.
  int Close() {
    int rc = 0;
    if (fd_ >= 0) rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Removes the temporary file unless the rename went through.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("writing " + path + ": " + ErrnoText());
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::OK();
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  std::string templ = path + ".tmp.XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  UniqueFd fd(::mkstemp(name.data()));
  if (fd.get() < 0) return Status::IOError("creating a temporary file for " + path + ": " + ErrnoText());
  const std::string tmp(name.data());
  TempFileGuard guard(tmp);

  // mkstemp makes the file 0600; give it the usual 0644 (reading the umask to honour
  // it would mean changing it, which races with other threads).
  if (::fchmod(fd.get(), 0644) != 0) return Status::IOError("chmod " + tmp + ": " + ErrnoText());
  if (Status s = WriteAll(fd.get(), contents, tmp); !s.ok()) return s;
  if (::fsync(fd.get()) != 0) return Status::IOError("fsync " + tmp + ": " + ErrnoText());
  if (fd.Close() != 0) return Status::IOError("closing " + tmp + ": " + ErrnoText());
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("renaming " + tmp + " to " + path + ": " + ErrnoText());
  }
  guard.Release();

  // Make the rename itself durable.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
  return Status::OK();
}

Result<std::string> ReadWholeFile(const std::string& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IOError("opening " + path + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::IOError("stat " + path + ": " + ErrnoText());
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status::InvalidArgument(path + ": " + std::to_string(st.st_size) +
                                   " bytes, more than the " + std::to_string(max_bytes) + " allowed");
  }
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("reading " + path + ": " + ErrnoText());
    }
    if (n == 0) break;  // the file shrank while we read it
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  return data;
}

}  // namespace kaizen
