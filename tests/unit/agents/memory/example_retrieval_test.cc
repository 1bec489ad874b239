#include "agents/memory/example_retrieval.h"

#include <algorithm>

#include <catch2/catch.hpp>

using namespace kaizen::memory;
using kaizen::models::Example;
using Ids = std::vector<std::size_t>;

namespace {

std::vector<Example> Bank() {
  return {{"my card was declined at the store", "card_declined"},      // 0
          {"card declined when paying online", "card_declined"},       // 1
          {"transfer money to my savings", "transfer"},                // 2
          {"why was my card declined again", "card_declined"},         // 3
          {"lost my card yesterday", "lost_card"},                     // 4
          {"what is the weather", "out_of_scope"}};                    // 5
}

}  // namespace

TEST_CASE("nearest examples: top-k by similarity unrelated ones left out") {
  ExampleRetriever r(Bank());
  auto ids = r.Nearest("card declined in a shop", 3);
  REQUIRE(ids.size() == 3);
  for (auto i : ids) CHECK(r.examples()[i].label == "card_declined");
  CHECK(r.Nearest("card declined in a shop", 10).size() == 4);  // every example with "card" or "declined"
  CHECK(r.Nearest("transfer to savings", 1) == Ids{2});
  CHECK(r.Nearest("zebra", 3).empty());
  CHECK(r.Nearest("card", 0).empty());
  CHECK(ExampleRetriever({}).Nearest("card", 3).empty());
}

TEST_CASE("nearest examples: the input itself is never shown its own answer") {
  ExampleRetriever r(Bank());
  auto ids = r.Nearest("My card was declined at the store!", 10);
  CHECK(std::find(ids.begin(), ids.end(), 0u) == ids.end());
  CHECK_FALSE(ids.empty());
}

TEST_CASE("nearest examples: ties go to the lower index") {
  ExampleRetriever r({{"reset password", "a"}, {"other thing", "b"}, {"password reset", "c"}, {"reset password", "d"}});
  CHECK(r.Nearest("how to reset the password", 3) == Ids{0, 2, 3});
}

TEST_CASE("nearest examples: max_per_label keeps variety") {
  ExampleRetriever r(Bank());
  const auto plain = r.Nearest("card declined", 3);
  REQUIRE(plain.size() == 3);
  for (auto i : plain) CHECK(r.examples()[i].label == "card_declined");
  const auto varied = r.Nearest("card declined", 3, 1);
  REQUIRE(varied.size() == 2);  // one card_declined (the best), one lost_card
  CHECK(varied[0] == plain[0]);
  CHECK(r.examples()[varied[1]].label == "lost_card");
  CHECK(r.Nearest("card declined", 3, 2).size() == 3);
}

TEST_CASE("pool: a correction overrides the dataset example with the same input") {
  std::vector<Example> datasets = {{"Cancel my order", "cancel"},
                                   {"where is my parcel", "tracking"},
                                   {"cancel my order!", "cancel"},  // same input: first kept
                                   {"", "x"},
                                   {"refund please", "refund"}};
  std::vector<Example> corrections = {{"where is my  parcel?", "delivery_delay"},
                                      {"change my address", "address"},
                                      {"WHERE is my parcel", "lost_parcel"}};  // later correction wins
  auto pool = PoolExamples(datasets, corrections);
  REQUIRE(pool.examples.size() == 4);
  CHECK(pool.examples[0].label == "cancel");
  CHECK(pool.examples[1].text == "WHERE is my parcel");
  CHECK(pool.examples[1].label == "lost_parcel");  // in place, the person's label
  CHECK(pool.examples[2].label == "refund");
  CHECK(pool.examples[3].label == "address");
  CHECK(pool.from_datasets == 2);
  CHECK(pool.from_corrections == 2);
  CHECK(pool.overridden == 1);
  CHECK(pool.duplicates == 2);
  CHECK(pool.skipped == 1);

  ExampleRetriever r(pool.examples);
  auto ids = r.Nearest("my parcel has not arrived", 1);
  REQUIRE(ids.size() == 1);
  CHECK(r.examples()[ids[0]].label == "lost_parcel");
}
