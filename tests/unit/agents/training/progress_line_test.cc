#include "agents/training/progress_line.h"

#include <catch2/catch.hpp>

namespace kaizen::agents {

TEST_CASE("progress lines in the built-in form, key=value form, percent form and JSON are parsed", "[training]") {
  auto b = ParseProgressLine("progress 0.4000 loss 0.310000 epoch 2/5");
  REQUIRE(b);
  CHECK(b->fraction == Approx(0.4));
  REQUIRE(b->loss);
  CHECK(*b->loss == Approx(0.31));
  CHECK(b->message == "epoch 2/5");

  auto kv = ParseProgressLine("progress 0.42 loss=1.5 lr=2e-5 step 10/100\r");
  REQUIRE(kv);
  CHECK(kv->fraction == Approx(0.42));
  CHECK(*kv->loss == Approx(1.5));
  CHECK(kv->values.at("lr") == Approx(2e-5));
  CHECK(kv->message == "step 10/100");

  auto pct = ParseProgressLine("progress 42% tokenizing");
  REQUIRE(pct);
  CHECK(pct->fraction == Approx(0.42));
  CHECK_FALSE(pct->loss);
  CHECK(pct->message == "tokenizing");

  auto j = ParseProgressLine(R"({"progress": 0.9, "loss": 0.05, "message": "epoch 3/3", "eval_acc": 0.8})");
  REQUIRE(j);
  CHECK(j->fraction == Approx(0.9));
  CHECK(*j->loss == Approx(0.05));
  CHECK(j->message == "epoch 3/3");
  CHECK(j->values.at("eval_acc") == Approx(0.8));

  auto over = ParseProgressLine("progress 7");
  REQUIRE(over);
  CHECK(over->fraction == 1.0);  // clamped
}

TEST_CASE("lines that are not progress are not taken for progress", "[training]") {
  CHECK_FALSE(ParseProgressLine("Epoch 1: loss 0.3"));
  CHECK_FALSE(ParseProgressLine("progress"));
  CHECK_FALSE(ParseProgressLine("progress abc loss 1"));
  CHECK_FALSE(ParseProgressLine("progress 0.5x"));
  CHECK_FALSE(ParseProgressLine(R"({"loss": 0.3})"));
  CHECK_FALSE(ParseProgressLine(R"({"progress": "half"})"));
  CHECK_FALSE(ParseProgressLine("{not json"));
  // A malformed key=value ends the pairs: the rest is the message.
  auto p = ParseProgressLine("progress 0.5 loss=abc done");
  REQUIRE(p);
  CHECK_FALSE(p->loss);
  CHECK(p->message == "loss=abc done");
}

TEST_CASE("result lines carry a JSON object", "[training]") {
  auto r = ParseResultLine(R"(result {"final_loss": 0.1, "model_file": "m.bin"})");
  REQUIRE(r);
  CHECK((*r)["model_file"] == "m.bin");
  CHECK_FALSE(ParseResultLine("result [1,2]"));
  CHECK_FALSE(ParseResultLine("result {broken"));
  CHECK_FALSE(ParseResultLine("results {}"));
}

}  // namespace kaizen::agents
