#include "agents/memory/text_similarity.h"

#include <catch2/catch.hpp>

using namespace kaizen::memory;
using Strings = std::vector<std::string>;

TEST_CASE("words are lower-case ASCII runs / non-ASCII bytes are letters / apostrophes dropped") {
  CHECK(Words("Don't SEND it, café-au-lait 42x!") == Strings{"dont", "send", "it", "café", "au", "lait", "42x"});
  CHECK(Words("it\xE2\x80\x99s 日本語 ok") == Strings{"its", "日本語", "ok"});
  CHECK(Words("snake_case") == Strings{"snake", "case"});
  CHECK(Words("").empty());
  CHECK(Words("?!  --").empty());
}

TEST_CASE("terms drop stop words / normalized text keeps them") {
  CHECK(Terms("How do I reset my password?") == Strings{"reset", "password"});
  CHECK(IsStopWord("the"));
  CHECK_FALSE(IsStopWord("refund"));
  CHECK(NormalizeText("  Check the IBAN! ") == "check the iban");
  CHECK(NormalizeText("check   the iban") == NormalizeText("Check, the IBAN."));
}

TEST_CASE("jaccard of term sets") {
  CHECK(Jaccard({"a", "b"}, {"b", "c"}) == Approx(1.0 / 3));
  CHECK(Jaccard({"a", "a", "b"}, {"b", "a"}) == Approx(1.0));
  CHECK(Jaccard({}, {}) == 0);
  CHECK(Jaccard({"a"}, {}) == 0);
}

TEST_CASE("bm25 ranks the relevant document first") {
  Bm25Index index;
  CHECK(index.Add(Terms("How to reset a forgotten password")) == 0);
  CHECK(index.Add(Terms("Transfer money to a savings account")) == 1);
  CHECK(index.Add(Terms("Card declined at the shop, card blocked")) == 2);
  CHECK(index.Add(Terms("Open a new savings account online")) == 3);
  CHECK(index.size() == 4);

  auto top = index.TopK(Terms("my card was declined"), 3);
  REQUIRE(top.size() == 1);  // only documents sharing a term come back
  CHECK(top[0] == 2);

  top = index.TopK(Terms("move money into savings"), 4);
  REQUIRE(top.size() == 2);
  CHECK(top[0] == 1);  // two terms in common beat one
  CHECK(top[1] == 3);

  const auto scores = index.Score(Terms("move money into savings"));
  REQUIRE(scores.size() == 4);
  CHECK(scores[0] == 0);
  CHECK(scores[1] > scores[3]);
  CHECK(scores[3] > 0);
}

TEST_CASE("bm25: rare terms weigh more k and min_score cut empty query or index give nothing") {
  Bm25Index index;
  index.Add(Terms("account balance"));
  index.Add(Terms("account statement"));
  index.Add(Terms("account closure fee"));
  auto scores = index.Score(Terms("account fee"));
  CHECK(scores[2] > scores[0]);
  CHECK(index.TopK(Terms("account fee"), 1) == std::vector<std::size_t>{2});
  CHECK(index.TopK(Terms("account fee"), 3, scores[2]) == std::vector<std::size_t>{2});
  CHECK(index.TopK({}, 3).empty());
  CHECK(Bm25Index().TopK(Terms("account"), 3).empty());
  CHECK(Bm25Index().Score(Terms("account")).empty());
}

TEST_CASE("bm25 ties are broken by the lower id whatever the query's word order") {
  Bm25Index index;
  index.Add(Terms("refund policy"));
  index.Add(Terms("shipping times"));
  index.Add(Terms("refund policy"));
  index.Add(Terms("policy refund"));
  CHECK(index.TopK(Terms("refund policy"), 10) == std::vector<std::size_t>{0, 2, 3});
  CHECK(index.TopK(Terms("policy refund refund"), 10) == std::vector<std::size_t>{0, 2, 3});
  CHECK(index.Score(Terms("refund policy")) == index.Score(Terms("policy refund")));
}

TEST_CASE("terms fold plurals so number does not stop a match") {
  CHECK(Terms("Refunds requested for policies") == Strings{"refund", "requested", "policy"});
  CHECK(FoldPlural("class") == "class");
  CHECK(FoldPlural("status") == "status");
  CHECK(FoldPlural("analysis") == "analysis");
  CHECK(FoldPlural("bus") == "bus");
  CHECK(FoldPlural("cafés") == "cafés");  // non-ASCII words are left as they are
  CHECK(FoldPlural("days") == "day");
  CHECK(NormalizeText("Refunds") == "refunds");  // normalization does not fold
}
