#include "agents/simulator/answer_rating.h"

#include <catch2/catch.hpp>

using namespace kaizen::agents;
using json = nlohmann::json;

TEST_CASE("labels are rated by exact match", "[simulator]") {
  const AnswerRating exact = AnswerRating::FromSettings(json::object());
  CHECK(exact.Right("book_flight", "book_flight"));
  CHECK_FALSE(exact.Right("book_hotel", "book_flight"));
  CHECK_FALSE(exact.Right("Book_flight", "book_flight"));
}

TEST_CASE("free-text replies are rated by word overlap with the reference", "[simulator]") {
  const std::string ref = "Your order 1008 has shipped; track it from Orders > Track package.";
  CHECK(AnswerRating::OverlapF1(ref, ref) == Approx(1.0));
  CHECK(AnswerRating::OverlapF1("", ref) == 0.0);
  CHECK(AnswerRating::OverlapF1("a b c", ref) == 0.0);  // no content word of 2+ characters
  // {your, order, 1009, has, shipped, track, it, from, orders, package}: 9 of 10 shared.
  const std::string other_order = "Your order 1009 has shipped; track it from Orders > Track package.";
  CHECK(AnswerRating::OverlapF1(other_order, ref) == Approx(0.9));
  const AnswerRating overlap = AnswerRating::FromSettings(json{{"rating", "overlap"}, {"overlap_pass", 0.6}});
  CHECK(overlap.Right(other_order, ref));
  CHECK_FALSE(overlap.Right("Update your card under Account > Payment methods.", ref));
  CHECK_FALSE(overlap.Right("", ref));
}
