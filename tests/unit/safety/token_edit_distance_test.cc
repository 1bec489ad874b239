// The token edit distance the prompt change bounds are measured with.
#include <catch2/catch.hpp>

#include "runtime/safety/token_edit_distance.h"

using namespace kaizen::safety;

TEST_CASE("tokens: words and numbers whole, each punctuation mark alone, blanks dropped", "[safety]") {
  CHECK(Tokenize("Answer with ONE label, e.g. {\"label\": \"x\"}.") ==
        std::vector<std::string>{"Answer", "with", "ONE", "label", ",", "e", ".", "g", ".", "{", "\"", "label", "\"",
                                 ":", "\"", "x", "\"", "}", "."});
  CHECK(Tokenize("  \n\t ").empty());
  CHECK(Tokenize("naïve café 42") == std::vector<std::string>{"naïve", "café", "42"});  // UTF-8 stays in words
}

TEST_CASE("token edit distance: insertions, deletions and replacements cost one token each", "[safety]") {
  CHECK(TokenEditDistance("", "") == 0);
  CHECK(TokenEditDistance("a b c", "a b c") == 0);
  CHECK(TokenEditDistance("a b c", "a x c") == 1);         // replace
  CHECK(TokenEditDistance("a b c", "a c") == 1);           // delete
  CHECK(TokenEditDistance("a b c", "a b c d e") == 2);     // insert
  CHECK(TokenEditDistance("kitten sat", "sitting sat") == 1);  // a token is replaced whole, not by letters
  CHECK(TokenEditDistance("a b c d", "d c b a") == 4);
  CHECK(TokenEditDistance("one two", "") == 2);
  CHECK(TokenEditDistance("x y z", "p q r s") == TokenEditDistance("p q r s", "x y z"));  // symmetric
  // Layout is not change: the model reads the same tokens.
  CHECK(TokenEditDistance("Classify the request.\nAnswer one label.", "Classify  the request. Answer\n\none label.") == 0);
  // Case is change.
  CHECK(TokenEditDistance("Answer", "answer") == 1);
}

TEST_CASE("change share: distance over the length of the text changed from", "[safety]") {
  CHECK(ChangeShare("a b c d", "a b c d") == 0.0);
  CHECK(ChangeShare("a b c d", "a b x d") == Approx(0.25));
  CHECK(ChangeShare("a b c d", "w x y z q") == Approx(1.25));  // rewritten and longer: above 1
  CHECK(ChangeShare("", "") == 0.0);
  CHECK(ChangeShare("", "new words") == Approx(2.0));
  // Two small steps each within 0.25 can walk further from where they began.
  const std::string v1 = "a b c d e f g h", v2 = "a b X d e f g h", v3 = "a b X d e Y g h";
  CHECK(ChangeShare(v1, v2) == Approx(0.125));
  CHECK(ChangeShare(v2, v3) == Approx(0.125));
  CHECK(ChangeShare(v1, v3) == Approx(0.25));
}
