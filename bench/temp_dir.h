// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with its
// contents when it goes out of scope.
#pragma once

#include <string>

namespace kaizen::bench {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace kaizen::bench
