#include "agents/datagen/carried_labels.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace kaizen::agents {
namespace {

DatasetRow Row(const std::string& text, const std::string& label, const std::string& split) {
  DatasetRow r;
  r.text = text;
  r.label = label;
  r.split = split;
  r.task_id = "t-" + text;
  r.tags = {{"domain", "d"}};
  r.teacher = "oracle";
  r.selected_by = "thumbs_down";
  return r;
}

std::string TempPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("kaizen-carried-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST_CASE("carried labels: a written dataset reads back whole, bad lines counted, not fatal") {
  const std::string path = TempPath("d.jsonl");
  REQUIRE(WriteDatasetJsonl(path, {Row("Book a flight", "book_flight", "train"), Row("my balance", "balance", "validation")})
              .ok());
  {
    std::ofstream out(path, std::ios::app);
    out << "not json\n{\"text\": \"x\"}\n{\"text\": \"y\", \"label\": \"z\", \"split\": \"test\"}\n\n";
  }
  std::size_t skipped = 0;
  auto rows = ReadDatasetJsonl(path, &skipped);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK(skipped == 3);
  CHECK((*rows)[0].text == "Book a flight");
  CHECK((*rows)[0].label == "book_flight");
  CHECK((*rows)[0].tags.at("domain") == "d");
  CHECK((*rows)[1].split == "validation");
  auto missing = ReadDatasetJsonl(path + ".missing");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find(".missing") != std::string::npos);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST_CASE("carried labels: appended as train rows, the new label wins for the same input") {
  std::vector<DatasetRow> rows = {Row("Book a  flight", "book_flight_new", "train")};
  std::vector<DatasetRow> carried = {Row("book a flight", "book_flight_old", "validation"),
                                     Row("my balance", "balance", "validation"), Row("pay bill", "pay_bill", "train")};
  CHECK(AppendCarried(rows, carried) == 2);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].label == "book_flight_new");
  CHECK(rows[1].text == "my balance");
  CHECK(rows[1].split == "train");  // the incumbent was refitted on it: no fair verdict there
  CHECK(rows[1].selected_by == "carried");
  CHECK(rows[2].split == "train");
  const auto inputs = LabelledInputs(carried);
  CHECK(inputs.count("book a flight") == 1);
  CHECK(inputs.count("my balance") == 1);
  CHECK(inputs.size() == 3);
}

}  // namespace
}  // namespace kaizen::agents
