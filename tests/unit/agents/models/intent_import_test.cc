// The raw-layout converter behind `kaizen import-intents` (agents/models/intent_import.h).
#include "agents/models/intent_import.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agents/models/intent_jsonl.h"
#include "test_util.h"

using namespace kaizen;
using namespace kaizen::models;
using namespace kaizen::models::testing;

namespace {

// Two domains that are not CLINC150's, with an out-of-scope list.
const char* kDomains = R"({"garden": ["water_plants", "order_seeds"], "library": ["renew_book"]})";
const char* kData = R"({
  "oos_val": [["what is the meaning of life", "oos"]],
  "train": [["when should i water the ferns", "water_plants"], ["renew my loan", "renew_book"],
            ["buy tomato seeds", "order_seeds"]],
  "val": [["do the roses need water", "water_plants"], ["extend my book", "renew_book"]],
  "test": [["seeds for basil please", "order_seeds"], ["renew \"dune\" for me", "renew_book"]],
  "oos_train": [["tell me a joke", "oos"], ["who won the match", "oos"]]
})";

std::string Convert(const std::string& data, const std::string& domains, bool keep_oos = false) {
  auto r = ConvertIntentData(data, domains, IntentImportOptions{keep_oos});
  REQUIRE(r.ok());
  return r->jsonl;
}

// The error message of a conversion that must fail as InvalidArgument.
std::string ErrorOf(const std::string& data, const std::string& domains, bool keep_oos = false) {
  auto r = ConvertIntentData(data, domains, IntentImportOptions{keep_oos});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  return r.status().message();
}

std::string Pairs(const std::string& split, const std::string& pairs) {
  return "{\"" + split + "\": " + pairs + "}";
}

}  // namespace

TEST_CASE("intent rows are written as Python's json.dumps with ensure_ascii False writes them", "[models][import]") {
  // Expected bytes from python3: json.dumps(s, ensure_ascii=False).
  std::string s;
  AppendPythonJsonString(s, std::string("a\"b\\c/d\x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f", 16) +
                                "\xC3\xA9\xE2\x80\xA8\xF0\x9F\x98\x80");
  CHECK(s == "\"a\\\"b\\\\c/d\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\x7f\xC3\xA9\xE2\x80\xA8\xF0\x9F\x98\x80\"");
  CHECK(IntentJsonlLine("it's \"ok\"", "a_b", "dom", "train") ==
        "{\"text\": \"it's \\\"ok\\\"\", \"intent\": \"a_b\", \"domain\": \"dom\", \"split\": \"train\"}\n");
}

TEST_CASE("the converter writes train then val then test in source order and drops oos", "[models][import]") {
  auto r = ConvertIntentData(kData, kDomains, IntentImportOptions{});
  REQUIRE(r.ok());
  CHECK(r->jsonl ==
        "{\"text\": \"when should i water the ferns\", \"intent\": \"water_plants\", \"domain\": \"garden\", \"split\": \"train\"}\n"
        "{\"text\": \"renew my loan\", \"intent\": \"renew_book\", \"domain\": \"library\", \"split\": \"train\"}\n"
        "{\"text\": \"buy tomato seeds\", \"intent\": \"order_seeds\", \"domain\": \"garden\", \"split\": \"train\"}\n"
        "{\"text\": \"do the roses need water\", \"intent\": \"water_plants\", \"domain\": \"garden\", \"split\": \"val\"}\n"
        "{\"text\": \"extend my book\", \"intent\": \"renew_book\", \"domain\": \"library\", \"split\": \"val\"}\n"
        "{\"text\": \"seeds for basil please\", \"intent\": \"order_seeds\", \"domain\": \"garden\", \"split\": \"test\"}\n"
        "{\"text\": \"renew \\\"dune\\\" for me\", \"intent\": \"renew_book\", \"domain\": \"library\", \"split\": \"test\"}\n");
  CHECK(r->train == 3);
  CHECK(r->val == 2);
  CHECK(r->test == 2);
  CHECK(r->rows() == 7);
  CHECK(r->intents == 3);
  CHECK(r->oos_dropped == 3);
  CHECK(r->oos_kept == 0);
  REQUIRE(r->domains.size() == 2);
  CHECK(r->domains[0].name == "garden");  // domains.json's order, not sorted
  CHECK(r->domains[0].intents == 2);
  CHECK(r->domains[0].train == 2);
  CHECK(r->domains[0].val == 1);
  CHECK(r->domains[0].test == 1);
  CHECK(r->domains[1].name == "library");
  CHECK(r->domains[1].intents == 1);
  CHECK(r->warnings.empty());

  // The domains in another order: the rows' order does not change, the summary's does.
  auto swapped = ConvertIntentData(kData, R"({"library": ["renew_book"], "garden": ["order_seeds", "water_plants"]})",
                                   IntentImportOptions{});
  REQUIRE(swapped.ok());
  CHECK(swapped->jsonl == r->jsonl);
  CHECK(swapped->domains[0].name == "library");
}

TEST_CASE("with keep_oos the oos lists follow as intent and domain oos with their split", "[models][import]") {
  auto r = ConvertIntentData(kData, kDomains, IntentImportOptions{true});
  REQUIRE(r.ok());
  const std::string without = Convert(kData, kDomains);
  REQUIRE(r->jsonl.substr(0, without.size()) == without);
  CHECK(r->jsonl.substr(without.size()) ==
        "{\"text\": \"tell me a joke\", \"intent\": \"oos\", \"domain\": \"oos\", \"split\": \"train\"}\n"
        "{\"text\": \"who won the match\", \"intent\": \"oos\", \"domain\": \"oos\", \"split\": \"train\"}\n"
        "{\"text\": \"what is the meaning of life\", \"intent\": \"oos\", \"domain\": \"oos\", \"split\": \"val\"}\n");
  CHECK(r->oos_kept == 3);
  CHECK(r->oos_dropped == 0);
  CHECK(r->train == 5);
  CHECK(r->val == 3);
  CHECK(r->intents == 4);
  REQUIRE(r->domains.size() == 3);
  CHECK(r->domains[2].name == "oos");
  CHECK(r->domains[2].train == 2);
  // The oos domain has no test rows, but it is not one people choose as known or new.
  CHECK(r->warnings.empty());

  CHECK_THAT(ErrorOf(kData, R"({"oos": ["x"], "garden": ["water_plants", "order_seeds", "renew_book"]})", true),
             Catch::Contains("domain named \"oos\"") && Catch::Contains("--keep-oos"));
  CHECK_THAT(ErrorOf(kData, R"({"garden": ["water_plants", "order_seeds", "renew_book", "oos"]})", true),
             Catch::Contains("lists intent \"oos\""));
}

TEST_CASE("missing raw files are named with what the folder must hold", "[models][import]") {
  ScratchDir dir;
  auto r = ImportIntentDir(dir.File("nope"), IntentImportOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kNotFound);
  CHECK_THAT(r.status().message(), Catch::Contains(dir.File("nope")) && Catch::Contains("no such directory"));

  WriteBytes(dir.File("data_small.json"), kData);
  r = ImportIntentDir(dir.path().string(), IntentImportOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kNotFound);
  CHECK_THAT(r.status().message(), Catch::Contains(dir.File("data_full.json") + ": no such file") &&
                                       Catch::Contains("domains.json") && Catch::Contains("\"data_small.json\""));

  WriteBytes(dir.File("data_full.json"), kData);
  r = ImportIntentDir(dir.path().string(), IntentImportOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains(dir.File("domains.json") + ": no such file"));

  WriteBytes(dir.File("domains.json"), kDomains);
  r = ImportIntentDir(dir.path().string(), IntentImportOptions{});
  REQUIRE(r.ok());
  CHECK(r->rows() == 7);
}

TEST_CASE("malformed JSON is reported with the file and the parser's line column and byte", "[models][import]") {
  ScratchDir dir;
  WriteBytes(dir.File("data_full.json"), "{\"train\": [\n  [\"hi\", \"greet\"],\n  [\"bye\" \"leave\"]\n]}");
  WriteBytes(dir.File("domains.json"), kDomains);
  auto r = ImportIntentDir(dir.path().string(), IntentImportOptions{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  INFO(r.status().message());
  CHECK_THAT(r.status().message(),
             Catch::StartsWith(dir.File("data_full.json") + ": not valid JSON at line 3, column 16 (byte 47): ") &&
                 Catch::Contains("expected ']'"));

  CHECK_THAT(ErrorOf(kData, "{\"garden\": [\"water_plants\",]}"),
             Catch::StartsWith("domains.json: not valid JSON at line 1, column 28 (byte 28)"));
  CHECK_THAT(ErrorOf("", kDomains), Catch::StartsWith("data_full.json: not valid JSON"));
  CHECK_THAT(ErrorOf("{\"train\": [], \"train\": []}", kDomains),
             Catch::Contains("key \"train\" is given twice"));
}

TEST_CASE("a split that is not a list of text intent pairs is named with its index", "[models][import]") {
  CHECK_THAT(ErrorOf("[]", kDomains), Catch::Contains("expected an object with the lists") &&
                                          Catch::Contains("found a list"));
  CHECK_THAT(ErrorOf("{\"training\": []}", kDomains),
             Catch::Contains("has no \"train\" list (keys found: \"training\")"));
  CHECK_THAT(ErrorOf("{\"train\": {\"a\": 1}}", kDomains),
             Catch::Contains("data_full.json: \"train\" must be a list of [text, intent] pairs, found an object"));
  CHECK_THAT(ErrorOf(Pairs("train", R"([["renew it", "renew_book"], ["just text"]])"), kDomains),
             Catch::Contains("data_full.json: \"train\"[1] must be a [text, intent] pair of two strings, "
                             "found [\"just text\"]"));
  CHECK_THAT(ErrorOf(R"({"train": [["a", "renew_book"]], "val": [["renew", 3]]})", kDomains),
             Catch::Contains("\"val\"[0] must be a [text, intent] pair"));
  CHECK_THAT(ErrorOf(R"({"train": [["a", "renew_book"]], "test": [["x", "renew_book", "extra"]]})", kDomains),
             Catch::Contains("\"test\"[0]"));
  CHECK_THAT(ErrorOf(R"({"train": [["a", "renew_book"]], "oos_val": "none"})", kDomains),
             Catch::Contains("\"oos_val\" must be a list"));
  // Kept oos lists are checked item by item.
  CHECK_THAT(ErrorOf(R"({"train": [["a", "renew_book"]], "oos_test": [["ok", "oos"], [1, 2]]})", kDomains, true),
             Catch::Contains("\"oos_test\"[1] must be a [text, intent] pair"));
}

TEST_CASE("empty texts and intents are refused with their place", "[models][import]") {
  CHECK_THAT(ErrorOf(Pairs("train", R"([["renew it", "renew_book"], ["  ", "renew_book"]])"), kDomains),
             Catch::Contains("\"train\"[1] has an empty text (intent \"renew_book\")"));
  CHECK_THAT(ErrorOf(Pairs("train", R"([["renew it", ""]])"), kDomains),
             Catch::Contains("\"train\"[0] has an empty intent (text \"renew it\")"));
}

TEST_CASE("intents in no domain are named with their row counts", "[models][import]") {
  const std::string msg = ErrorOf(
      R"({"train": [["a", "renew_book"], ["b", "feed_cat"], ["c", "feed_cat"]], "test": [["d", "walk_dog"]]})",
      kDomains);
  CHECK_THAT(msg, Catch::StartsWith("data_full.json: 2 intents are in no domain of domains.json: ") &&
                      Catch::Contains("\"feed_cat\" (2 rows, first \"train\"[1])") &&
                      Catch::Contains("\"walk_dog\" (1 row, first \"test\"[0])") &&
                      Catch::Contains("add each to one domain's list in domains.json"));
}

TEST_CASE("domains json must map each domain to intents each in one domain", "[models][import]") {
  CHECK_THAT(ErrorOf(kData, R"(["garden"])"), Catch::Contains("domains.json: expected an object mapping each domain"));
  CHECK_THAT(ErrorOf(kData, "{}"), Catch::Contains("lists no domains"));
  CHECK_THAT(ErrorOf(kData, R"({"garden": "water_plants"})"),
             Catch::Contains("domain \"garden\" must be a list of intent names, found a string"));
  CHECK_THAT(ErrorOf(kData, R"({"garden": ["water_plants", 7]})"),
             Catch::Contains("domain \"garden\", item 1 must be an intent name (a non-empty string), found 7"));
  CHECK_THAT(ErrorOf(kData, R"({"garden": ["water_plants", "order_seeds", "renew_book"], "library": ["renew_book"]})"),
             Catch::Contains("intent \"renew_book\" is in two domains, \"garden\" and \"library\"") &&
                 Catch::Contains("remove it from one of the lists"));
  CHECK_THAT(ErrorOf(kData, R"({"garden": ["water_plants"], "garden": ["order_seeds"]})"),
             Catch::Contains("domains.json: key \"garden\" is given twice"));
}

TEST_CASE("gaps that do not stop a run are warnings", "[models][import]") {
  const std::string data = R"({"train": [["a", "water_plants"], ["b", "renew_book"]],
                               "val": [["c", "water_plants"]], "test": [["d", "water_plants"]], "dev": []})";
  auto r = ConvertIntentData(data, R"({"garden": ["water_plants", "order_seeds"], "library": ["renew_book"],
                                      "empty": []})",
                             IntentImportOptions{});
  REQUIRE(r.ok());
  std::string all;
  for (const auto& w : r->warnings) all += w + "\n";
  INFO(all);
  CHECK_THAT(all, Catch::Contains("key \"dev\" is ignored"));
  CHECK_THAT(all, Catch::Contains("domain \"library\" has no val or test rows"));
  CHECK_THAT(all, Catch::Contains("domain \"empty\" lists no intents"));
  CHECK_THAT(all, Catch::Contains("1 intent is listed in domains.json but has no rows: \"order_seeds\""));
  CHECK_THAT(all, !Catch::Contains("domain \"garden\" has"));

  auto no_val = ConvertIntentData(R"({"train": [["a", "renew_book"]], "test": [["b", "renew_book"]]})",
                                  R"({"library": ["renew_book"]})", IntentImportOptions{});
  REQUIRE(no_val.ok());
  REQUIRE(no_val->warnings.size() == 2);
  CHECK_THAT(no_val->warnings[0], Catch::Contains("no \"val\" list"));
  CHECK_THAT(no_val->warnings[1], Catch::Contains("domain \"library\" has 0 val and 1 test rows"));

  CHECK_THAT(ErrorOf(R"({"train": [], "val": [], "test": []})", kDomains),
             Catch::Contains("has no [text, intent] pairs"));
}

TEST_CASE("the output file is replaced atomically and a missing folder is named", "[models][import]") {
  ScratchDir dir;
  auto r = ConvertIntentData(kData, kDomains, IntentImportOptions{});
  REQUIRE(r.ok());
  const std::string out = dir.File("intents.jsonl");
  WriteBytes(out, "old contents\n");
  REQUIRE(WriteIntentJsonl(out, *r).ok());
  CHECK(ReadBytes(out) == r->jsonl);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);  // no temporary file left behind

  Status missing = WriteIntentJsonl(dir.File("no/such/dir/x.jsonl"), *r);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.message(), Catch::Contains("does not exist") && Catch::Contains("mkdir -p"));
  Status is_dir = WriteIntentJsonl(dir.path().string(), *r);
  REQUIRE_FALSE(is_dir.ok());
  CHECK_THAT(is_dir.message(), Catch::Contains("is a directory"));
}

// The shipped file, turned back into the raw layout and converted again, comes
// out byte for byte: the converter can regenerate manifests/data/clinc150.jsonl.
TEST_CASE("the shipped CLINC150 JSONL round-trips through the raw layout byte for byte", "[models][import]") {
  const std::string shipped = ReadBytes(Clinc150Path());
  REQUIRE(shipped.size() > 1000000);
  nlohmann::ordered_json data = {{"train", nlohmann::json::array()},
                                 {"val", nlohmann::json::array()},
                                 {"test", nlohmann::json::array()},
                                 {"oos_train", nlohmann::json::array({{"is this in scope", "oos"}})}};
  nlohmann::ordered_json domains = nlohmann::ordered_json::object();
  std::istringstream lines(shipped);
  for (std::string line; std::getline(lines, line);) {
    const auto row = nlohmann::json::parse(line);
    const std::string intent = row.at("intent"), domain = row.at("domain");
    data[row.at("split").get<std::string>()].push_back({row.at("text"), intent});
    auto& list = domains[domain];
    if (std::find(list.begin(), list.end(), intent) == list.end()) list.push_back(intent);
  }
  auto r = ConvertIntentData(data.dump(), domains.dump(), IntentImportOptions{});
  INFO(r.status().message());
  REQUIRE(r.ok());
  CHECK(r->jsonl == shipped);
  CHECK(r->train == 15000);
  CHECK(r->val == 3000);
  CHECK(r->test == 4500);
  CHECK(r->intents == 150);
  CHECK(r->domains.size() == 10);
  CHECK(r->oos_dropped == 1);
  CHECK(r->warnings.empty());
}

// Where the original CLINC150 files are at hand (../shared/data/clinc150, as
// scripts/convert_clinc150.py expects), the converter regenerates the shipped file.
TEST_CASE("the original CLINC150 raw files convert to the shipped JSONL when present", "[models][import]") {
  const std::string raw = std::string(KAIZEN_SOURCE_DIR) + "/../shared/data/clinc150";
  if (!std::filesystem::exists(raw + "/data_full.json") || !std::filesystem::exists(raw + "/domains.json")) {
    WARN("no CLINC150 raw files in " << raw << "; the round trip above covers the format");
    return;
  }
  auto r = ImportIntentDir(raw, IntentImportOptions{});
  REQUIRE(r.ok());
  CHECK(r->jsonl == ReadBytes(Clinc150Path()));
  CHECK(r->oos_dropped == 1200);
}
