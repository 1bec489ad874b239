#include "runtime/store/private_dir.h"

namespace kaizen::store {

namespace fs = std::filesystem;

Status CreatePrivateDirs(const fs::path& dir) {
  if (dir.empty()) return Status::OK();
  // Walk down from the root so every level we create gets the mode, not
  // only the last one (create_directories would use the umask for all).
  fs::path at;
  for (const auto& part : dir) {
    at /= part;
    std::error_code ec;
    if (fs::is_directory(at, ec)) continue;
    if (!fs::create_directory(at, ec) && ec) {
      return Status::IOError("cannot create directory " + at.string() + ": " + ec.message());
    }
    fs::permissions(at, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return Status::IOError("cannot make " + at.string() + " private: " + ec.message());
  }
  return Status::OK();
}

}  // namespace kaizen::store
