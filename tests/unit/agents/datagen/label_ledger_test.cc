// LabelLedger on disk, and LabelSelection with one: what a crashed datagen
// paid is neither paid again nor dropped from the spend, and the budget
// counts it.
#include "agents/datagen/label_ledger.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agents/datagen/teacher.h"
#include "tests/support/temp_dir.h"

namespace kaizen::agents {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

int Lines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

// A builtin teacher trained on a toy set: "airport plane" is travel, "bank account" banking.
Teacher ToyTeacher(const fs::path& dir) {
  const fs::path data = dir / "toy.jsonl";
  {
    std::ofstream out(data);
    for (int i = 0; i < 20; ++i) {
      out << json{{"text", "fly plane airport " + std::to_string(i)}, {"label", "travel"}, {"split", "train"}}.dump()
          << "\n";
      out << json{{"text", "money bank account " + std::to_string(i)}, {"label", "banking"}, {"split", "train"}}.dump()
          << "\n";
    }
  }
  json teacher = {{"name", "oracle"},        {"backend", "builtin-classifier"},
                  {"cost_per_call", 0.01},   {"max_concurrency", 4},
                  {"rate_limit_per_s", 0.0}, {"noise", 0.0},
                  {"train", {{"dataset", "toy"}, {"split", "train"}, {"domains", json::array()}}}};
  auto spec = FirstTeacher(
      {{"cluster", {{"spec", {{"teachers", {teacher}}, {"data", {{"toy", {{"path", data.string()}}}}}}}}}});
  REQUIRE(spec.ok());
  auto t = Teacher::LoadOrTrain(*spec, dir.string());
  REQUIRE(t.ok());
  return std::move(*t);
}

std::vector<SelectedCandidate> Inputs(int n) {
  std::vector<SelectedCandidate> out;
  for (int i = 0; i < n; ++i) {
    SelectedCandidate s;
    s.candidate.task_id = "t" + std::to_string(i);
    s.candidate.text = (i % 2 ? "bank account money " : "airport plane fly ") + std::to_string(i);
    s.selected_by = "failure";
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("a label ledger keeps what was paid across a reopen and skips a torn last line", "[datagen]") {
  testing::TempDir tmp{"ledger"};
  const std::string path = (tmp.path() / "datagen" / "ledger-c1-1.jsonl").string();
  {
    auto ledger = LabelLedger::Open(path);
    REQUIRE(ledger.ok());
    CHECK((*ledger)->calls() == 0);
    REQUIRE((*ledger)->Record("airport plane", "travel", 0.01).ok());
    REQUIRE((*ledger)->Record("odd input", "", 0.01).ok());  // paid, though no label came
  }
  std::ofstream(path, std::ios::app) << "{\"text\": \"half a li";  // a crash mid-write
  auto again = LabelLedger::Open(path);
  REQUIRE(again.ok());
  CHECK((*again)->calls() == 2);
  CHECK((*again)->recovered() == 2);
  CHECK((*again)->cost() == Approx(0.02));
  CHECK((*again)->Find("airport plane") == std::optional<std::string>("travel"));
  CHECK((*again)->Find("odd input") == std::optional<std::string>(""));
  CHECK_FALSE((*again)->Find("half a li"));
  CHECK(LabelLedger::Open("/proc/no-such-dir/ledger.jsonl").status().message().find("label ledger") !=
        std::string::npos);
}

TEST_CASE("labeling after a crash reuses the answers paid for, counts them, and stays within the budget",
          "[datagen]") {
  testing::TempDir tmp{"ledger"};
  const Teacher teacher = ToyTeacher(tmp.path());
  const std::string path = (tmp.path() / "ledger.jsonl").string();
  const auto inputs = Inputs(10);
  std::atomic<std::size_t> done{0};
  {
    // The first process paid for 4 answers, then died.
    auto first = LabelLedger::Open(path);
    REQUIRE(first.ok());
    std::vector<SelectedCandidate> some(inputs.begin(), inputs.begin() + 4);
    auto partial = LabelSelection(some, &teacher, 2, 7, &done, "datagen:c1/1", first->get(), 10);
    CHECK(partial.teacher_calls == 4);
  }
  auto ledger = LabelLedger::Open(path);
  REQUIRE(ledger.ok());
  REQUIRE((*ledger)->recovered() == 4);
  // The restarted job selects all 10: 4 come from the ledger, 6 are paid; 10 paid in all.
  auto out = LabelSelection(inputs, &teacher, 2, 7, &done, "datagen:c1/1", ledger->get(), 10);
  CHECK(out.answers_reused == 4);
  CHECK(out.teacher_calls == 10);
  CHECK(out.over_budget == 0);
  CHECK(out.rows.size() == 10);
  CHECK(Lines(path) == 10);  // the teacher answered 10 times, not 14
  CHECK((*ledger)->cost() == Approx(0.10));
  for (const auto& r : out.rows) CHECK(r.label == (r.text.find("bank") == 0 ? "banking" : "travel"));

  // A budget already spent elsewhere: the inputs not in the ledger are dropped, none paid.
  auto more = Inputs(14);
  auto capped = LabelSelection(more, &teacher, 2, 7, &done, "datagen:c1/1", ledger->get(), 10);
  CHECK(capped.over_budget == 4);
  CHECK(capped.teacher_calls == 10);
  CHECK(capped.rows.size() == 10);
  CHECK(Lines(path) == 10);
}

}  // namespace kaizen::agents
