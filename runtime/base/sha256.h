// SHA-256 (FIPS 180-4), implemented here so that the project needs no crypto
// library. Used for content addressing artifacts and checksumming model files.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/base/result.h"

namespace kaizen {

// Incremental hasher: Update() any number of times, then Final*() once.
class Sha256 {
 public:
  static constexpr std::size_t kDigestSize = 32;
  using Digest = std::array<uint8_t, kDigestSize>;

  Sha256();

  void Update(const void* data, std::size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }

  // Finishes the hash; the object must not be updated afterwards.
  Digest Final();
  // 64 lowercase hex characters.
  std::string FinalHex();

 private:
  void Compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

std::string ToHex(const Sha256::Digest& digest);

// One-shot hash of a buffer, as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view data);

// Hash of a file's contents, read in chunks so large files need little memory.
Result<std::string> Sha256File(const std::string& path);

// An artifact (a file:// URI or a path; other schemes are refused) must be
// there and hash to `sha256`; the error names `what`, the file and both
// hashes. The one check of an artifact's hash: the runtime's registrations,
// sdk::VerifyArtifact (the worker's loads, `kaizen fsck`).
Status CheckArtifactHash(const std::string& what, const std::string& uri, const std::string& sha256);

}  // namespace kaizen
