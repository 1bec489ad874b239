#include "agents/training/few_shot_selection.h"

#include <catch2/catch.hpp>
#include <set>

namespace kaizen::agents {
namespace {

using models::Example;

std::vector<Example> Pool() {
  std::vector<Example> pool;
  for (int i = 0; i < 10; ++i) pool.push_back({"balance " + std::to_string(i), "balance"});
  for (int i = 0; i < 5; ++i) pool.push_back({"flight " + std::to_string(i), "book_flight"});
  for (int i = 0; i < 2; ++i) pool.push_back({"alarm " + std::to_string(i), "alarm"});
  pool.push_back({"alarm 0", "alarm"});  // a duplicate text
  return pool;
}

std::set<std::string> Labels(const std::vector<Example>& v) {
  std::set<std::string> s;
  for (const auto& e : v) s.insert(e.label);
  return s;
}

std::vector<std::string> Texts(const std::vector<Example>& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(e.text);
  return out;
}

}  // namespace

TEST_CASE("a few-shot set covers labels round-robin, failing labels first", "[training]") {
  auto three = CoverLabels(Pool(), {"alarm"}, 3, 1);
  REQUIRE(three.size() == 3);
  CHECK(three[0].label == "alarm");             // the failing label first
  CHECK(Labels(three).size() == 3);             // one per label before any label gets a second
  auto seven = CoverLabels(Pool(), {"alarm"}, 7, 1);
  REQUIRE(seven.size() == 7);
  std::set<std::string> texts;
  for (const auto& e : seven) texts.insert(e.text);
  CHECK(texts.size() == 7);  // no duplicate text
  // Alarm has 2 distinct texts: rounds go on with the labels that have more.
  CHECK(std::count_if(seven.begin(), seven.end(), [](const Example& e) { return e.label == "alarm"; }) == 2);
  CHECK(Texts(CoverLabels(Pool(), {}, 3, 1)) == Texts(CoverLabels(Pool(), {}, 3, 1)));  // seeded
  CHECK(CoverLabels(Pool(), {}, 100, 1).size() == 17);  // all distinct texts, no more
}

TEST_CASE("extending a few-shot set keeps the current examples and adds uncovered labels", "[training]") {
  std::vector<Example> current = {{"what's my balance", "balance"}};
  auto ext = ExtendToCover(current, Pool(), {"alarm"}, 4, 1);
  REQUIRE(ext.size() == 4);
  CHECK(ext[0].text == "what's my balance");
  CHECK(ext[1].label == "alarm");
  CHECK(ext[2].label == "book_flight");
  CHECK(ext[3].label == "alarm");  // every label covered; the room left goes round again, skipping covered ones
  auto small = ExtendToCover(current, Pool(), {"alarm"}, 1, 1);
  CHECK(Texts(small) == Texts(current));
}

}  // namespace kaizen::agents
