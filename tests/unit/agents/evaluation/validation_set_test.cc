#include "agents/evaluation/validation_set.h"

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

using kaizen::agents::LoadValidationRows;

TEST_CASE("validation rows: only split validation, domain from tags, bad lines counted") {
  auto dir = std::filesystem::temp_directory_path() / ("kz-eval-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "d.jsonl").string();
  {
    std::ofstream out(path);
    out << R"({"text": "hi", "label": "greet", "split": "train", "tags": {"domain": "x"}})" << "\n";
    out << R"({"text": "balance?", "label": "balance", "split": "validation", "tags": {"domain": "banking"}})" << "\n";
    out << "\n";
    out << "not json\n";
    out << R"({"text": "fly", "label": "book_flight", "split": "validation", "domain": "travel"})" << "\n";
    out << R"({"text": "no label", "split": "validation"})" << "\n";
  }
  auto set = LoadValidationRows(path);
  REQUIRE(set.ok());
  REQUIRE(set->rows.size() == 2);
  CHECK(set->rows[0].label == "balance");
  CHECK(set->rows[0].domain == "banking");
  CHECK(set->rows[1].domain == "travel");
  CHECK(set->skipped == 2);
  CHECK_FALSE(LoadValidationRows((dir / "missing.jsonl").string()).ok());
  std::filesystem::remove_all(dir);
}
