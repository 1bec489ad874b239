#include "agents/models/jsonl_dataset.h"

#include <catch2/catch.hpp>

#include "test_util.h"

using namespace kaizen;
using namespace kaizen::models;
using namespace kaizen::models::testing;

TEST_CASE("the JSONL reader skips and counts bad lines without failing", "[models][jsonl]") {
  ScratchDir dir;
  const std::string path = dir.File("data.jsonl");
  WriteBytes(path,
             "{\"text\": \"pay my bill\", \"intent\": \"pay_bill\", \"domain\": \"banking\", \"split\": \"train\"}\n"
             "\n"
             "   \r\n"
             "{\"text\": \"broken\", \"intent\": \n"
             "[\"an\", \"array\"]\n"
             "{\"text\": \"caf\xC3\" , \"intent\": \"bad_utf8\"}\n"
             "{\"intent\": \"no_text\"}\n"
             "{\"text\": \"no label\"}\n"
             "{\"text\": 5, \"label\": \"number\"}\n"
             "{\"text\": \"empty label\", \"label\": \"\"}\n"
             "{\"text\": \"lights off\", \"label\": \"lights\", \"domain\": \"home\", \"split\": \"test\"}\n"
             "{\"text\": \"caf\xC3\xA9 order\", \"intent\": \"order\", \"domain\": \"kitchen_and_dining\", \"split\": \"train\"}\r\n"
             "{\"text\": \"no newline at the end\", \"intent\": \"last\", \"split\": \"train\"}");

  auto all = LoadJsonlExamples(path);
  REQUIRE(all.ok());
  CHECK(all->lines == 13);
  CHECK(all->empty_lines == 2);
  CHECK(all->bad_json == 2);
  CHECK(all->bad_utf8 == 1);
  CHECK(all->bad_record == 4);
  CHECK(all->skipped() == 9);
  CHECK(all->filtered_out == 0);
  REQUIRE(all->examples.size() == 4);
  CHECK(all->examples[0].text == "pay my bill");
  CHECK(all->examples[0].label == "pay_bill");
  CHECK(all->examples[1].label == "lights");  // "label" is read as well as "intent"
  CHECK(all->examples[2].text == "caf\xC3\xA9 order");
  CHECK(all->examples[3].label == "last");
  REQUIRE(all->errors.size() == 7);
  CHECK(all->errors[0].rfind("line 4:", 0) == 0);

  auto train = LoadJsonlExamples(path, "train");
  REQUIRE(train.ok());
  CHECK(train->examples.size() == 3);
  CHECK(train->filtered_out == 1);

  auto banking = LoadJsonlExamples(path, "train", {"banking", "home"});
  REQUIRE(banking.ok());
  REQUIRE(banking->examples.size() == 1);
  CHECK(banking->examples[0].label == "pay_bill");
  CHECK(banking->filtered_out == 3);  // wrong split, wrong domain, no domain
}

TEST_CASE("the JSONL reader fails on a missing file", "[models][jsonl]") {
  auto r = LoadJsonlExamples("/nonexistent/kaizen/data.jsonl");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kNotFound);
}

TEST_CASE("the shipped CLINC150 copy reads cleanly", "[models][jsonl]") {
  auto all = LoadJsonlExamples(Clinc150Path());
  REQUIRE(all.ok());
  CHECK(all->examples.size() == 22500);
  CHECK(all->skipped() == 0);
  auto five = LoadJsonlExamples(Clinc150Path(), "test", {"banking", "credit_cards", "kitchen_and_dining",
                                                          "home", "auto_and_commute"});
  REQUIRE(five.ok());
  CHECK(five->examples.size() == 5 * 15 * 30);
}
