#include "agents/datagen/teacher.h"
#include "config/manifest_schema.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json Settings(const fs::path& data, double noise) {
  json teacher = {{"name", "oracle"},         {"backend", "builtin-classifier"},
                  {"cost_per_call", 0.001},   {"max_concurrency", 4},
                  {"rate_limit_per_s", 0.0},  {"noise", noise},
                  {"train", {{"dataset", "toy"}, {"split", "train"}, {"domains", json::array()}}}};
  return {{"cluster", {{"spec", {{"teachers", {teacher}}, {"data", {{"toy", {{"path", data.string()}}}}}}}}}};
}

fs::path WriteToy(const fs::path& dir) {
  fs::path p = dir / "toy.jsonl";
  std::ofstream out(p);
  for (int i = 0; i < 20; ++i) {
    out << json{{"text", "fly plane airport " + std::to_string(i)}, {"label", "travel"}, {"split", "train"}}.dump() << "\n";
    out << json{{"text", "money bank account " + std::to_string(i)}, {"label", "banking"}, {"split", "train"}}.dump()
        << "\n";
  }
  return p;
}

TEST_CASE("no teacher configured is an error") {
  auto spec = FirstTeacher(json{{"cluster", {{"spec", {{"teachers", json::array()}}}}}});
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().message().find("no teacher configured") == 0);
}

TEST_CASE("a teacher entry's keys left out are the manifest schema's defaults") {
  const json entry = {{"name", "t"}, {"backend", "openai"}, {"openai", {{"model", "m"}}}};
  auto spec = FirstTeacher(json{{"cluster", {{"spec", {{"teachers", {entry}}}}}}});
  REQUIRE(spec.ok());
  CHECK(spec->cost_per_call == config::SchemaDefault("spec.teachers[].cost_per_call").get<double>());
  CHECK(spec->max_concurrency == config::SchemaDefault("spec.teachers[].max_concurrency").get<int>());
  CHECK(spec->rate_limit_per_s == config::SchemaDefault("spec.teachers[].rate_limit_per_s").get<double>());
  CHECK(spec->noise == config::SchemaDefault("spec.teachers[].noise").get<double>());
}

TEST_CASE("a builtin teacher is trained once, cached and labels in parallel") {
  testing::TempDir tmp{"teacher"};
  const fs::path data = WriteToy(tmp.path());
  auto spec = FirstTeacher(Settings(data, 0.0));
  REQUIRE(spec.ok());
  auto teacher = Teacher::LoadOrTrain(*spec, tmp.path().string());
  REQUIRE(teacher.ok());
  const fs::path cache = tmp.path() / "artifacts" / "teachers" / ("oracle-" + spec->config_hash + ".kzm");
  CHECK(fs::exists(cache));
  // Without its training data, only the cache can make it again.
  fs::remove(data);
  auto again = Teacher::LoadOrTrain(*spec, tmp.path().string());
  REQUIRE(again.ok());

  std::vector<std::string> texts;
  for (int i = 0; i < 50; ++i) texts.push_back(i % 2 ? "bank account money" : "airport plane");
  std::atomic<std::size_t> done{0};
  auto labels = again->LabelAll(texts, 8, 1, &done);
  CHECK(done.load() == 50);
  for (int i = 0; i < 50; ++i) CHECK(labels[i] == (i % 2 ? "banking" : "travel"));
}

TEST_CASE("a noisy teacher answers random labels at about its noise rate") {
  testing::TempDir tmp{"teacher"};
  auto spec = FirstTeacher(Settings(WriteToy(tmp.path()), 1.0));
  REQUIRE(spec.ok());
  auto teacher = Teacher::LoadOrTrain(*spec, tmp.path().string());
  REQUIRE(teacher.ok());
  int wrong = 0;
  for (uint64_t d = 0; d < 1000; ++d) wrong += teacher->Label("airport plane", d) != "travel";
  CHECK(wrong > 400);  // uniform over 2 labels: about half are wrong
  CHECK(wrong < 600);
  CHECK(teacher->Label("airport plane", 5) == teacher->Label("airport plane", 5));
}

SelectedCandidate Selected(const std::string& id, const std::string& text, const std::string& correction = "",
                           const std::string& source = "") {
  SelectedCandidate s;
  s.candidate.task_id = id;
  s.candidate.text = text;
  s.candidate.tags = {{"domain", "d"}};
  s.candidate.thumbs_down = true;
  s.candidate.correction = correction;
  s.candidate.correction_source = source;
  s.selected_by = correction.empty() ? "thumbs_down" : "correction";
  return s;
}

TEST_CASE("corrected inputs are labeled by their correction, as people, without a teacher call") {
  testing::TempDir tmp{"teacher"};
  auto spec = FirstTeacher(Settings(WriteToy(tmp.path()), 0.0));
  REQUIRE(spec.ok());
  auto teacher = Teacher::LoadOrTrain(*spec, tmp.path().string());
  REQUIRE(teacher.ok());
  CHECK(teacher->labels().size() == 2);

  // The teacher would say "travel" for c1: the person's answer wins.
  std::vector<SelectedCandidate> sel = {Selected("c1", "airport plane", "banking", "alice.1"),
                                        Selected("c2", "something else", "car_rental", "key:shop"),
                                        Selected("c3", "money account", "travel", ""),
                                        Selected("t1", "bank account money"), Selected("t2", "airport plane fly")};
  std::atomic<std::size_t> done{0};
  auto out = LabelSelection(sel, &*teacher, 4, 1, &done);
  CHECK(done.load() == 2);  // only the two inputs without a correction were asked
  CHECK(out.teacher_calls == 2);
  CHECK(out.corrections_used == 3);
  CHECK(out.corrected_by == std::map<std::string, int64_t>{{"alice.1", 1}, {"key:shop", 1}, {"unknown", 1}});
  CHECK(out.new_labels == std::set<std::string>{"car_rental"});  // not a label the teacher knows
  REQUIRE(out.rows.size() == 5);
  CHECK(out.rows[0].task_id == "c1");
  CHECK(out.rows[0].label == "banking");
  CHECK(out.rows[0].teacher == "human:alice.1");
  CHECK(out.rows[0].selected_by == "correction");
  CHECK(out.rows[0].tags.at("domain") == "d");
  CHECK(out.rows[1].teacher == "human:key:shop");
  CHECK(out.rows[2].teacher == "human:unknown");
  CHECK(out.rows[3].label == "banking");
  CHECK(out.rows[3].teacher == "oracle");
  CHECK(out.rows[3].selected_by == "thumbs_down");
  CHECK(out.rows[4].label == "travel");
  CHECK(out.rows[4].teacher == "oracle");

  // No teacher: the corrected rows alone.
  done = 0;
  out = LabelSelection(sel, nullptr, 4, 1, &done);
  CHECK(done.load() == 0);
  CHECK(out.teacher_calls == 0);
  CHECK(out.corrections_used == 3);
  CHECK(out.new_labels.empty());  // no label set to compare with
  REQUIRE(out.rows.size() == 3);
  for (const auto& r : out.rows) CHECK(r.teacher.rfind("human:", 0) == 0);
}

TEST_CASE("a deferred answer labels its row as deferral:<teacher> unless someone rated it down") {
  testing::TempDir tmp{"teacher"};
  auto spec = FirstTeacher(Settings(WriteToy(tmp.path()), 0.0));
  REQUIRE(spec.ok());
  auto teacher = Teacher::LoadOrTrain(*spec, tmp.path().string());
  REQUIRE(teacher.ok());
  std::vector<SelectedCandidate> sel = {Selected("d1", "airport plane", "travel", "deferral:oracle"),
                                        Selected("d2", "money account", "travel", "deferral:oracle")};
  sel[0].candidate.thumbs_down = false;  // nobody rated it
  sel[1].candidate.thumbs_down = true;   // the teacher's answer was rated wrong: no label for it
  std::atomic<std::size_t> done{0};
  auto out = LabelSelection(sel, &*teacher, 4, 1, &done);
  CHECK(out.teacher_calls == 0);
  REQUIRE(out.rows.size() == 1);
  CHECK(out.rows[0].task_id == "d1");
  CHECK(out.rows[0].label == "travel");
  CHECK(out.rows[0].teacher == "deferral:oracle");
  CHECK(out.corrected_by == std::map<std::string, int64_t>{{"deferral:oracle", 1}});
}

TEST_CASE("a teacher is found by name, and its answer comes with its cost") {
  testing::TempDir tmp{"teacher"};
  json settings = Settings(WriteToy(tmp.path()), 0.0);
  json second = settings["cluster"]["spec"]["teachers"][0];
  second["name"] = "sage";
  second["cost_per_call"] = 0.25;
  settings["cluster"]["spec"]["teachers"].push_back(second);
  auto first = NamedTeacher(settings, "");
  REQUIRE(first.ok());
  CHECK(first->name == "oracle");
  auto sage = NamedTeacher(settings, "sage");
  REQUIRE(sage.ok());
  CHECK(sage->cost_per_call == 0.25);
  auto none = NamedTeacher(settings, "guru");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message() == "no teacher named 'guru' in spec.teachers (oracle, sage)");

  auto teacher = Teacher::LoadOrTrain(*sage, tmp.path().string());
  REQUIRE(teacher.ok());
  TeacherAnswer a = teacher->Answer("bank account money", 1);
  CHECK(a.status.ok());
  CHECK(a.label == "banking");
  CHECK(a.cost == 0.25);
  CHECK(teacher->Label("bank account money", 1) == "banking");
}

}  // namespace
}  // namespace kaizen::agents
