// The model file: round trip, and refusal of every kind of damaged or foreign file.
#include <catch2/catch.hpp>
#include <cstring>

#include "agents/models/byte_io.h"
#include "agents/models/text_classifier.h"
#include "runtime/base/sha256.h"
#include "test_util.h"

using namespace kaizen;
using namespace kaizen::models;
using namespace kaizen::models::testing;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Replaces the trailer with a valid checksum, as someone crafting a file would.
std::string Reseal(std::string body_and_trailer) {
  body_and_trailer.resize(body_and_trailer.size() - Sha256::kDigestSize);
  Sha256 sha;
  sha.Update(body_and_trailer);
  const auto digest = sha.Final();
  body_and_trailer.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return body_and_trailer;
}

// Offset of the label count: magic, format, two length-prefixed strings, feature settings.
std::size_t LabelCountOffset(const std::string& bytes) {
  ByteReader in(bytes);
  std::string_view skip;
  uint32_t len = 0;
  in.Raw(5 + 4, skip);
  for (int i = 0; i < 2; ++i) {
    in.U32(len);
    in.Raw(len, skip);
  }
  in.Raw(4 + 3, skip);
  return bytes.size() - in.remaining();
}

void PutU32(std::string& bytes, std::size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

}  // namespace

TEST_CASE("save then load gives the same model and the same predictions", "[models][file]") {
  ScratchDir dir;
  const TextClassifier model = SmallModel();
  const std::string path = dir.File("model.kzclf");
  REQUIRE(model.Save(path, "intent-v3").ok());

  auto loaded = TextClassifier::Load(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->version() == "intent-v3");
  CHECK(loaded->parent_version().empty());
  CHECK(loaded->labels() == model.labels());
  CHECK(loaded->feature_rows() == model.feature_rows());
  CHECK(loaded->features().buckets == model.features().buckets);
  for (const auto& e : Clinc150("test", {"banking", "home", "travel"})) {
    REQUIRE(loaded->Probabilities(e.text) == model.Probabilities(e.text));  // bit for bit
  }
  // The encoding is canonical: saving the loaded model again gives the same bytes.
  REQUIRE(loaded->Save(dir.File("again"), "intent-v3").ok());
  CHECK(ReadBytes(dir.File("again")) == ReadBytes(path));
  // Written through a temporary file that does not outlive the save.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  CHECK(files == 2);
}

TEST_CASE("a damaged model file is refused with a clear error", "[models][file]") {
  ScratchDir dir;
  const std::string path = dir.File("model.kzclf");
  REQUIRE(SmallModel().Save(path, "v1").ok());
  const std::string good = ReadBytes(path);
  const std::string damaged = dir.File("damaged.kzclf");

  SECTION("a flipped byte fails the checksum") {
    for (std::size_t offset : {std::size_t{20}, good.size() / 2, good.size() - 40, good.size() - 1}) {
      std::string bytes = good;
      bytes[offset] = static_cast<char>(bytes[offset] ^ 0x01);
      WriteBytes(damaged, bytes);
      auto r = TextClassifier::Load(damaged);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Status::Code::kCorruption);
      CHECK(r.status().message() ==
            "model file " + damaged + ": checksum mismatch (file is corrupt or was modified)");
    }
  }
  SECTION("a truncated file is corruption, however short") {
    for (std::size_t size : {good.size() - 1, good.size() / 3, std::size_t{20}, std::size_t{3}, std::size_t{0}}) {
      WriteBytes(damaged, good.substr(0, size));
      auto r = TextClassifier::Load(damaged);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Status::Code::kCorruption);
    }
  }
  SECTION("a file that is not a model says so") {
    WriteBytes(damaged, "{\"this\": \"is json, not a model\"}");
    auto r = TextClassifier::Load(damaged);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK(Contains(r.status().message(), "not a Kaizen classifier model (bad magic)"));
  }
  SECTION("a newer format version is refused as unsupported, not as corrupt") {
    std::string bytes = good;
    PutU32(bytes, 5, 2);
    WriteBytes(damaged, Reseal(bytes));
    auto r = TextClassifier::Load(damaged);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK(Contains(r.status().message(), "format version 2 is not supported"));
  }
  SECTION("sizes in a well-sealed file are bounded before anything is allocated") {
    std::string bytes = good;
    PutU32(bytes, LabelCountOffset(bytes), 0xFFFFFFFFu);
    WriteBytes(damaged, Reseal(bytes));
    auto r = TextClassifier::Load(damaged);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kCorruption);
    CHECK(Contains(r.status().message(), "label count"));

    bytes = good;
    PutU32(bytes, LabelCountOffset(bytes), 1000);  // plausible, but the labels are not there
    WriteBytes(damaged, Reseal(bytes));
    r = TextClassifier::Load(damaged);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kCorruption);
  }
  SECTION("a missing file is not found") {
    auto r = TextClassifier::Load(dir.File("nope"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kNotFound);
  }
}

TEST_CASE("saving reports errors and replaces an existing model atomically", "[models][file]") {
  ScratchDir dir;
  const TextClassifier model = SmallModel({"home"});
  const Status s = model.Save(dir.File("missing-dir/model"), "v1");
  CHECK(s.code() == Status::Code::kIOError);
  CHECK(model.Save(dir.File("m"), std::string(5000, 'v')).code() == Status::Code::kInvalidArgument);

  REQUIRE(model.Save(dir.File("m"), "v1").ok());
  REQUIRE(model.Save(dir.File("m"), "v2").ok());
  auto loaded = TextClassifier::Load(dir.File("m"));
  REQUIRE(loaded.ok());
  CHECK(loaded->version() == "v2");
}

TEST_CASE("random damage under a valid checksum never gets past the loader's checks", "[models][file]") {
  ScratchDir dir;
  TrainOptions options;
  options.epochs = 1;
  options.features.buckets = 1u << 10;  // a small file, so many mutations are cheap
  auto model = TextClassifier::Train({{"pay my bill", "pay_bill"}, {"lights off", "lights"}}, options);
  REQUIRE(model.ok());
  REQUIRE(model->Save(dir.File("m"), "v1").ok());
  const std::string good = ReadBytes(dir.File("m"));

  uint64_t state = 12345;  // a fixed LCG: the same mutations every run
  auto next = [&] { return (state = state * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  for (int i = 0; i < 300; ++i) {
    std::string bytes = good;
    if (i % 3 == 0) {
      bytes.resize(Sha256::kDigestSize + next() % (bytes.size() - Sha256::kDigestSize));
    } else {
      for (int k = 0; k < 1 + i % 4; ++k) {
        bytes[next() % (bytes.size() - Sha256::kDigestSize)] = static_cast<char>(next());
      }
    }
    WriteBytes(dir.File("x"), Reseal(bytes));
    auto r = TextClassifier::Load(dir.File("x"));
    if (!r.ok()) {
      CHECK((r.status().code() == Status::Code::kCorruption ||
             r.status().code() == Status::Code::kInvalidArgument));
    }
  }
}
