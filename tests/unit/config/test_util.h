// Helpers shared by the config tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/manifest.h"

namespace kaizen::config::testing {

// The smallest valid manifest: an openai worker needs no data file. Extra
// lines go under spec (indented by the caller with two spaces).
inline std::string Minimal(const std::string& spec_extra = "") {
  return "apiVersion: kaizen.dev/v1\n"
         "kind: Cluster\n"
         "metadata:\n"
         "  name: t\n"
         "spec:\n"
         "  worker:\n"
         "    skill: {backend: openai}\n" +
         spec_extra;
}

// Every diagnostic, one per line, for failure messages.
inline std::string Dump(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.errors) s += d.ToString() + "\n";
  return s;
}

// A fresh temporary directory, removed at the end of the scope.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() / ("kz-config-" + tag + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace kaizen::config::testing
