// TextClassifier::Save / Load: the model file format, version 1.
//
//   "KZCLF"                      magic, 5 bytes
//   u32 format_version           1
//   str model_version            str = u32 byte length + bytes
//   str parent_version           empty when trained from scratch
//   u32 buckets, u8 word_bigrams, u8 char_ngram_min, u8 char_ngram_max
//   u32 num_labels, str label x num_labels
//   u32 num_rows, u32 bucket x num_rows       strictly increasing, < buckets
//   f32 bias x num_labels
//   f32 weight x (num_rows * num_labels)      row-major, rows in bucket order
//   32 bytes: SHA-256 of every byte above     (every format version ends this way)
//
// All integers and floats little-endian. Rows are written in bucket order so the same
// model always gives the same bytes (and the same checksum).

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "runtime/base/atomic_file.h"
#include "agents/models/byte_io.h"
#include "agents/models/classifier_limits.h"
#include "agents/models/text_classifier.h"
#include "runtime/base/sha256.h"

namespace kaizen::models {
namespace {

constexpr std::string_view kMagic = "KZCLF";
constexpr uint32_t kFormatVersion = 1;
constexpr std::size_t kTrailerBytes = Sha256::kDigestSize;
constexpr std::size_t kMaxFileBytes = std::size_t{4} << 30;

std::string_view DigestView(const Sha256::Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

// Parses the checksummed body (magic and format version already checked).
class BodyParser {
 public:
  BodyParser(std::string_view body, std::string path) : in_(body), path_(std::move(path)) {}

  Status Corrupt(const std::string& what) const {
    return Status::Corruption("model file " + path_ + ": " + what);
  }

  Status Str(std::size_t max_len, const char* what, std::string& out) {
    uint32_t len;
    std::string_view bytes;
    if (!in_.U32(len)) return Corrupt(std::string("truncated in ") + what);
    if (len > max_len) {
      return Corrupt(std::string(what) + " is " + std::to_string(len) + " bytes (at most " +
                     std::to_string(max_len) + ")");
    }
    if (!in_.Raw(len, bytes)) return Corrupt(std::string("truncated in ") + what);
    out.assign(bytes);
    return Status::OK();
  }

  // Reads n floats after checking the bytes are there, so n never drives a huge allocation.
  Status Floats(std::size_t n, const char* what, float* out) {
    if (in_.remaining() / 4 < n) return Corrupt(std::string("truncated in ") + what);
    for (std::size_t i = 0; i < n; ++i) {
      in_.F32(out[i]);
      if (!std::isfinite(out[i])) return Corrupt(std::string("non-finite value in ") + what);
    }
    return Status::OK();
  }

  ByteReader& in() { return in_; }

 private:
  ByteReader in_;
  std::string path_;
};

}  // namespace

Status TextClassifier::Save(const std::string& path, const std::string& version) const {
  if (version.size() > kMaxVersionBytes) {
    return Status::InvalidArgument("model version is longer than " + std::to_string(kMaxVersionBytes) +
                                   " bytes");
  }
  for (const auto& label : labels_) {
    if (label.size() > kMaxLabelBytes) {
      return Status::InvalidArgument("label longer than " + std::to_string(kMaxLabelBytes) +
                                     " bytes: " + label.substr(0, 40) + "...");
    }
  }
  std::vector<std::size_t> rows(weights_.rows());
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  std::sort(rows.begin(), rows.end(),
            [&](std::size_t a, std::size_t b) { return weights_.bucket_of(a) < weights_.bucket_of(b); });

  ByteWriter out;
  out.Reserve(256 + labels_.size() * 32 + rows.size() * (4 + 4 * labels_.size()) + 4 * bias_.size());
  out.Raw(kMagic);
  out.U32(kFormatVersion);
  out.Str(version);
  out.Str(parent_version_);
  out.U32(features_.buckets);
  out.U8(features_.word_bigrams ? 1 : 0);
  out.U8(static_cast<uint8_t>(features_.char_ngram_min));
  out.U8(static_cast<uint8_t>(features_.char_ngram_max));
  out.U32(static_cast<uint32_t>(labels_.size()));
  for (const auto& label : labels_) out.Str(label);
  out.U32(static_cast<uint32_t>(rows.size()));
  for (std::size_t r : rows) out.U32(weights_.bucket_of(r));
  for (float b : bias_) out.F32(b);
  for (std::size_t r : rows) {
    const float* w = weights_.row(r);
    for (std::size_t j = 0; j < labels_.size(); ++j) out.F32(w[j]);
  }
  Sha256 sha;
  sha.Update(out.bytes());
  out.Raw(DigestView(sha.Final()));

  if (Status s = WriteFileAtomically(path, out.bytes()); !s.ok()) {
    return s.WithContext("saving model " + version);
  }
  return Status::OK();
}

Result<TextClassifier> TextClassifier::Load(const std::string& path) {
  auto file = ReadWholeFile(path, kMaxFileBytes);
  if (!file.ok()) return file.status().WithContext("loading model");
  const std::string_view data = *file;
  const std::string where = "model file " + path;

  if (data.substr(0, kMagic.size()) != kMagic.substr(0, std::min(data.size(), kMagic.size()))) {
    return Status::InvalidArgument(where + ": not a Kaizen classifier model (bad magic)");
  }
  if (data.size() < kMagic.size() + 4 + kTrailerBytes) {
    return Status::Corruption(where + ": truncated (" + std::to_string(data.size()) + " bytes)");
  }
  const std::string_view body = data.substr(0, data.size() - kTrailerBytes);
  Sha256 sha;
  sha.Update(body);
  if (DigestView(sha.Final()) != data.substr(body.size())) {
    return Status::Corruption(where + ": checksum mismatch (file is corrupt or was modified)");
  }

  BodyParser parser(body.substr(kMagic.size()), path);
  ByteReader& in = parser.in();
  uint32_t format = 0;
  in.U32(format);
  if (format != kFormatVersion) {
    return Status::InvalidArgument(where + ": format version " + std::to_string(format) +
                                   " is not supported (this build reads version " +
                                   std::to_string(kFormatVersion) + ")");
  }

  TextClassifier model;
  if (Status s = parser.Str(kMaxVersionBytes, "model version", model.version_); !s.ok()) return s;
  if (Status s = parser.Str(kMaxVersionBytes, "parent version", model.parent_version_); !s.ok()) return s;

  uint8_t bigrams = 0, cmin = 0, cmax = 0;
  if (!in.U32(model.features_.buckets) || !in.U8(bigrams) || !in.U8(cmin) || !in.U8(cmax)) {
    return parser.Corrupt("truncated in feature settings");
  }
  if (bigrams > 1) return parser.Corrupt("bad word_bigrams flag");
  model.features_.word_bigrams = bigrams == 1;
  model.features_.char_ngram_min = cmin;
  model.features_.char_ngram_max = cmax;
  if (Status s = ValidateFeatureOptions(model.features_); !s.ok()) return parser.Corrupt(s.message());

  uint32_t num_labels = 0;
  if (!in.U32(num_labels)) return parser.Corrupt("truncated in label count");
  if (num_labels < 1 || num_labels > kMaxLabels) {
    return parser.Corrupt("label count " + std::to_string(num_labels) + " out of range [1, " +
                          std::to_string(kMaxLabels) + "]");
  }
  if (in.remaining() / 4 < num_labels) return parser.Corrupt("truncated in labels");
  model.labels_.resize(num_labels);
  for (auto& label : model.labels_) {
    if (Status s = parser.Str(kMaxLabelBytes, "label", label); !s.ok()) return s;
    if (label.empty()) return parser.Corrupt("empty label");
  }
  std::vector<std::string> sorted = model.labels_;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return parser.Corrupt("duplicate label");
  }

  uint32_t num_rows = 0;
  if (!in.U32(num_rows)) return parser.Corrupt("truncated in row count");
  if (num_rows > model.features_.buckets) {
    return parser.Corrupt("row count " + std::to_string(num_rows) + " exceeds bucket count " +
                          std::to_string(model.features_.buckets));
  }
  // Everything that follows has a size fixed by the counts: check it before allocating.
  const uint64_t expected = 4ull * num_rows + 4ull * num_labels + 4ull * num_rows * num_labels;
  if (in.remaining() != expected) {
    return parser.Corrupt("weights section is " + std::to_string(in.remaining()) + " bytes, expected " +
                          std::to_string(expected));
  }
  model.weights_ = WeightTable(model.features_.buckets, num_labels);
  model.weights_.ReserveRows(num_rows);
  uint32_t previous = 0;
  for (uint32_t r = 0; r < num_rows; ++r) {
    uint32_t bucket = 0;
    in.U32(bucket);
    if (bucket >= model.features_.buckets || (r > 0 && bucket <= previous)) {
      return parser.Corrupt("row buckets out of range or out of order");
    }
    model.weights_.FindOrAdd(bucket);
    previous = bucket;
  }
  model.bias_.resize(num_labels);
  if (Status s = parser.Floats(num_labels, "bias", model.bias_.data()); !s.ok()) return s;
  for (uint32_t r = 0; r < num_rows; ++r) {
    if (Status s = parser.Floats(num_labels, "weights", model.weights_.row(r)); !s.ok()) return s;
  }
  return model;
}

}  // namespace kaizen::models
