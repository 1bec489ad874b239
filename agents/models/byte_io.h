// Little-endian encoding of the model file's fields, independent of the host's byte order.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kaizen::models {

class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void F32(float v) { U32(std::bit_cast<uint32_t>(v)); }
  void Raw(std::string_view bytes) { out_.append(bytes); }
  // Length-prefixed (u32) bytes.
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    Raw(s);
  }
  void Reserve(std::size_t n) { out_.reserve(n); }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

// Reads fields in order; every read checks that enough bytes remain and returns false
// (consuming nothing) when they do not.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  std::size_t remaining() const { return in_.size() - pos_; }

  bool U8(uint8_t& v) {
    if (remaining() < 1) return false;
    v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool U32(uint32_t& v) {
    if (remaining() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(in_[pos_ + i])} << (8 * i);
    pos_ += 4;
    return true;
  }
  bool F32(float& v) {
    uint32_t bits;
    if (!U32(bits)) return false;
    v = std::bit_cast<float>(bits);
    return true;
  }
  bool Raw(std::size_t n, std::string_view& out) {
    if (remaining() < n) return false;
    out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace kaizen::models
