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

TEST_CASE("hostile data files: huge lines, deep nesting, binary bytes and a directory", "[models][jsonl]") {
  ScratchDir dir;
  const std::string path = dir.File("hostile.jsonl");
  const std::string good = "{\"text\": \"pay my bill\", \"intent\": \"pay_bill\"}\n";
  std::string bytes = good;
  bytes += "{\"text\": \"" + std::string(kMaxJsonlLineBytes + 10, 'a') + "\", \"intent\": \"huge\"}\n";  // too long
  bytes += std::string(3 * kMaxJsonlLineBytes, 'x');  // a huge line without a newline, not at the end
  bytes += "\n" + good;
  bytes += std::string(200000, '[') + std::string(200000, ']') + "\n";  // deep nesting, not an object
  const char nul_line[] = "{\"text\": \"nul\0byte\", \"intent\": \"nul\"}\n";  // a raw NUL: not JSON
  bytes += std::string(nul_line, sizeof nul_line - 1);
  bytes += "{\"text\": \"\xff\xfe binary\", \"intent\": \"bin\"}\n";             // bad UTF-8
  bytes += "{\"text\": \"cut off\", \"inte";                                   // truncated last line
  WriteBytes(path, bytes);

  auto r = LoadJsonlExamples(path);
  REQUIRE(r.ok());
  CHECK(r->examples.size() == 2);
  CHECK(r->lines == 8);
  CHECK(r->too_long == 2);
  CHECK(r->bad_json == 3);
  CHECK(r->bad_utf8 == 1);
  CHECK(r->skipped() == 6);
  REQUIRE_FALSE(r->errors.empty());
  CHECK(r->errors[0] == "line 2: longer than 1048576 bytes");

  auto d = LoadJsonlExamples(dir.File(""));
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().message().find("is a directory") != std::string::npos);

  WriteBytes(path, "");
  auto empty = LoadJsonlExamples(path);
  REQUIRE(empty.ok());
  CHECK(empty->lines == 0);
  CHECK(empty->examples.empty());
}
