#include "agents/datagen/dataset_writer.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "agents/models/jsonl_dataset.h"

namespace kaizen::agents {
namespace {

std::vector<DatasetRow> DatasetRows(int n) {
  std::vector<DatasetRow> rows(n);
  for (int i = 0; i < n; ++i) {
    rows[i].text = "text " + std::to_string(i);
    rows[i].label = i % 2 ? "odd" : "even";
    rows[i].task_id = "t" + std::to_string(i);
    rows[i].tags = {{"domain", "d"}};
    rows[i].teacher = "oracle";
    rows[i].selected_by = "thumbs_down";
  }
  return rows;
}

int Count(const std::vector<DatasetRow>& rows, const std::string& split) {
  int n = 0;
  for (const auto& r : rows) n += r.split == split;
  return n;
}

TEST_CASE("splits are deterministic by seed and honour the fraction") {
  auto a = DatasetRows(100), b = DatasetRows(100), c = DatasetRows(100);
  AssignSplits(a, 0.2, SeedFromString("cyc-1/1"));
  AssignSplits(b, 0.2, SeedFromString("cyc-1/1"));
  AssignSplits(c, 0.2, SeedFromString("cyc-2/1"));
  CHECK(Count(a, "validation") == 20);
  CHECK(Count(a, "train") == 80);
  bool same = true, differs = false;
  for (int i = 0; i < 100; ++i) {
    same &= a[i].split == b[i].split;
    differs |= a[i].split != c[i].split;
  }
  CHECK(same);
  CHECK(differs);
}

TEST_CASE("small datasets keep at least one row in each split") {
  auto two = DatasetRows(2);
  AssignSplits(two, 0.2, 1);
  CHECK(Count(two, "validation") == 1);
  CHECK(Count(two, "train") == 1);
  auto one = DatasetRows(1);
  AssignSplits(one, 0.2, 1);
  CHECK(Count(one, "train") == 1);
  auto none = DatasetRows(10);
  AssignSplits(none, 0.0, 1);
  CHECK(Count(none, "train") == 10);
}

TEST_CASE("the JSONL has the contract's fields and loads as examples") {
  auto dir = std::filesystem::temp_directory_path() / ("kz-dw-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto rows = DatasetRows(10);
  AssignSplits(rows, 0.3, 3);
  const std::string path = (dir / "d.jsonl").string();
  REQUIRE(WriteDatasetJsonl(path, rows).ok());
  std::ifstream in(path);
  std::string line;
  REQUIRE(std::getline(in, line));
  auto j = nlohmann::json::parse(line);
  for (const char* k : {"text", "label", "split", "task_id", "tags", "teacher", "selected_by"}) CHECK(j.contains(k));
  CHECK(j["tags"]["domain"] == "d");
  auto train = models::LoadJsonlExamples(path, "train");
  REQUIRE(train.ok());
  CHECK(train->examples.size() == 7);
  auto validation = models::LoadJsonlExamples(path, "validation");
  REQUIRE(validation.ok());
  CHECK(validation->examples.size() == 3);
  std::filesystem::remove_all(dir);
  CHECK_FALSE(WriteDatasetJsonl((dir / "missing" / "d.jsonl").string(), rows).ok());
}

}  // namespace
}  // namespace kaizen::agents
