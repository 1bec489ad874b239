#include "agents/memory/lessons.h"

#include <catch2/catch.hpp>

using namespace kaizen::memory;
using kaizen::Status;
using json = nlohmann::json;
using Strings = std::vector<std::string>;

namespace {

Lesson L(std::string text, Strings tasks, int64_t created_ms = 0, std::string category = "refunds") {
  return {std::move(text), std::move(tasks), std::move(category), created_ms};
}

std::string Repeat(const std::string& word, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? " " : "") + word + std::to_string(i);
  return out;
}

bool AnyContains(const Strings& lines, const std::string& part) {
  for (const auto& l : lines) {
    if (l.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("tokens are whitespace-separated words") {
  CHECK(CountTokens("") == 0);
  CHECK(CountTokens("  one\ttwo\nthree  ") == 3);
  CHECK(CountTokens("don't-stop") == 1);
}

TEST_CASE("critic reply in a json fence: lessons kept with category and time") {
  const std::string reply =
      "Here are the lessons:\n```json\n"
      "{\"lessons\": [{\"lesson\": \"  Refunds older than 30 days are billing_dispute. \", \"tasks\": [\"t-1\", \"t-2\", \"t-1\"]},\n"
      "               {\"lesson\": \"A {curly} brace in text is fine.\", \"tasks\": [7]}]}\n```\nDone.";
  auto parsed = ParseCriticReply(reply, "refunds", {}, 1234);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->lessons.size() == 2);
  CHECK(parsed->refused.empty());
  const Lesson& a = parsed->lessons[0];
  CHECK(a.text == "Refunds older than 30 days are billing_dispute.");
  CHECK(a.task_ids == Strings{"t-1", "t-2"});
  CHECK(a.category == "refunds");
  CHECK(a.created_ms == 1234);
  CHECK(parsed->lessons[1].text == "A {curly} brace in text is fine.");
  CHECK(parsed->lessons[1].task_ids == Strings{"7"});
}

TEST_CASE("critic reply: uncited empty and too long lessons are refused with the reason") {
  LessonBounds bounds;
  bounds.max_lesson_tokens = 5;
  const json reply = {{"lessons",
                       {{{"lesson", "Keep this one."}, {"tasks", {"t-1"}}},
                        {{"lesson", "No citation here."}},
                        {{"lesson", "Empty citation list."}, {"tasks", json::array()}},
                        {{"lesson", "   "}, {"tasks", {"t-1"}}},
                        {{"lesson", "one two three four five six"}, {"tasks", {"t-1"}}},
                        {{"lesson", "Cites a task nobody failed."}, {"tasks", {"t-99"}}},
                        "not an object"}}};
  auto parsed = ParseCriticReply(reply.dump(), "billing", bounds, 0, {"t-1", "t-2"});
  REQUIRE(parsed.ok());
  REQUIRE(parsed->lessons.size() == 1);
  CHECK(parsed->lessons[0].text == "Keep this one.");
  REQUIRE(parsed->refused.size() == 6);
  CHECK(parsed->refused[0].text == "No citation here.");
  CHECK(parsed->refused[0].reason == "lesson 2: cites no task id");
  CHECK(parsed->refused[1].reason == "lesson 3: cites no task id");
  CHECK(parsed->refused[2].reason == "lesson 4: empty lesson");
  CHECK(parsed->refused[3].reason == "lesson 5: 6 tokens, over max_lesson_tokens 5");
  CHECK(parsed->refused[4].reason == "lesson 6: cites none of the failures' task ids (cited: t-99)");
  CHECK(parsed->refused[5].reason == "lesson 7: not a JSON object");
}

TEST_CASE("critic reply without json or without a lessons array is an error quoting it") {
  auto none = ParseCriticReply("I have no lessons for you.", "x");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == Status::Code::kInvalidArgument);
  CHECK(none.status().message().find("no JSON object") != std::string::npos);
  CHECK(none.status().message().find("I have no lessons") != std::string::npos);
  auto wrong = ParseCriticReply("{\"lessons\": \"none\"}", "x");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message().find("\"lessons\" array") != std::string::npos);
  auto empty = ParseCriticReply("{\"lessons\": []}", "x");
  REQUIRE(empty.ok());
  CHECK(empty->lessons.empty());
}

TEST_CASE("merge: the same lesson again is merged with the union of task ids") {
  std::vector<Lesson> existing = {L("Refunds after 30 days are disputes.", {"t-1", "t-2"}, 100)};
  std::vector<Lesson> incoming = {L("refunds after 30 days are DISPUTES", {"t-2", "t-3"}, 200, "other"),
                                  L("Greetings are small talk.", {"t-4"}, 200)};
  auto r = MergeLessons(existing, incoming, {});
  REQUIRE(r.lessons.size() == 2);
  CHECK(r.lessons[0].text == "Refunds after 30 days are disputes.");  // the existing text stays
  CHECK(r.lessons[0].task_ids == Strings{"t-1", "t-2", "t-3"});
  CHECK(r.lessons[0].category == "refunds");
  CHECK(r.lessons[0].created_ms == 100);
  CHECK(r.lessons[1].text == "Greetings are small talk.");
  CHECK(r.added == 1);
  CHECK(r.merged == 1);
  CHECK(r.dropped == 0);
  REQUIRE(r.reasons.size() == 1);
  CHECK(r.reasons[0].find("(same text)") != std::string::npos);
}

TEST_CASE("merge: a near-duplicate by jaccard is merged a different lesson is not") {
  // Terms {refund, request, older, than, thirty, day, billing, dispute} vs the same plus "always": 8/9.
  std::vector<Lesson> existing = {L("Refund requests older than thirty days are billing dispute.", {"t-1"}, 1)};
  std::vector<Lesson> incoming = {L("Refund requests older than thirty days are always billing dispute", {"t-9"}, 2),
                                  L("Refund requests newer than thirty days are refunds.", {"t-5"}, 3)};
  auto r = MergeLessons(existing, incoming, {});
  REQUIRE(r.lessons.size() == 2);
  CHECK(r.lessons[0].task_ids == Strings{"t-1", "t-9"});
  CHECK(r.lessons[1].task_ids == Strings{"t-5"});
  CHECK(r.merged == 1);
  CHECK(r.added == 1);
  CHECK(AnyContains(r.reasons, "near-duplicate, Jaccard 0.888"));
}

TEST_CASE("merge: duplicates within the incoming lessons fold too") {
  auto r = MergeLessons({}, {L("Ask for the order number.", {"a"}), L("Ask for the order number!", {"b"})}, {});
  REQUIRE(r.lessons.size() == 1);
  CHECK(r.lessons[0].task_ids == Strings{"a", "b"});
}

TEST_CASE("merge: bounded by count dropping the fewest cited then the oldest then the first") {
  LessonBounds bounds;
  bounds.max_lessons = 3;
  std::vector<Lesson> existing = {L("alpha lesson", {"1", "2"}, 50),   // 2 tasks
                                  L("bravo lesson", {"3"}, 20),        // 1 task, old
                                  L("charlie lesson", {"4"}, 10)};     // 1 task, oldest
  std::vector<Lesson> incoming = {L("delta lesson", {"5"}, 20),        // 1 task, same age as bravo
                                  L("echo lesson", {"6", "7", "8"}, 90)};
  auto r = MergeLessons(existing, incoming, bounds);
  Strings kept;
  for (const auto& l : r.lessons) kept.push_back(l.text);
  // 5 lessons, 3 allowed: charlie (1 task, oldest) goes, then bravo (1 task, 20ms, before delta).
  CHECK(kept == Strings{"alpha lesson", "delta lesson", "echo lesson"});
  CHECK(r.added == 2);
  CHECK(r.dropped == 2);
  REQUIRE(r.reasons.size() == 2);
  CHECK(r.reasons[0] ==
        "dropped \"charlie lesson\" (cites 1 task, created_ms 10): 5 lessons, over max_lessons 3; it cites the "
        "fewest tasks");
  CHECK(r.reasons[1].find("\"bravo lesson\"") != std::string::npos);
  CHECK(r.reasons[1].find("4 lessons, over max_lessons 3") != std::string::npos);
}

TEST_CASE("merge: bounded by tokens in all") {
  LessonBounds bounds;
  bounds.max_tokens = 10;
  std::vector<Lesson> incoming = {L(Repeat("a", 4), {"1", "2"}, 1), L(Repeat("b", 4), {"3"}, 1),
                                  L(Repeat("c", 4), {"4", "5", "6"}, 1)};
  auto r = MergeLessons({}, incoming, bounds);
  REQUIRE(r.lessons.size() == 2);  // 12 tokens: the one citing one task goes
  CHECK(r.lessons[0].text == Repeat("a", 4));
  CHECK(r.lessons[1].text == Repeat("c", 4));
  REQUIRE(r.reasons.size() == 1);
  CHECK(r.reasons[0].find("12 tokens in all, over max_tokens 10") != std::string::npos);
}

TEST_CASE("merge: empty and too long incoming lessons are dropped with a reason") {
  LessonBounds bounds;
  bounds.max_lesson_tokens = 3;
  auto r = MergeLessons({}, {L(" ... ", {"1"}), L("one two three four", {"1"}), L("short one", {"1"})}, bounds);
  REQUIRE(r.lessons.size() == 1);
  CHECK(r.dropped == 2);
  CHECK(AnyContains(r.reasons, "empty lesson"));
  CHECK(AnyContains(r.reasons, "4 tokens, over max_lesson_tokens 3"));
}

TEST_CASE("lesson bounds are validated") {
  CHECK(ValidateLessonBounds({}).ok());
  LessonBounds b;
  b.max_tokens = 0;
  auto s = ValidateLessonBounds(b);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message().find("max_tokens") != std::string::npos);
}

TEST_CASE("lesson memory json round trip") {
  LessonMemory m;
  m.lessons = {L("Refunds after 30 days are disputes.", {"t-1", "t-2"}, 1700000000000),
               L("Café orders: ask which café.", {"t-3"}, 5, "orders")};
  m.provenance = {{"cycle", "c-7"}, {"critic", "gpt-4o-mini"}};
  const json j = m.ToJson();
  CHECK(j["format"] == "kaizen.lessons/v1");
  auto back = LessonMemory::Parse(j.dump());
  REQUIRE(back.ok());
  REQUIRE(back->lessons.size() == 2);
  CHECK(back->lessons[0].text == m.lessons[0].text);
  CHECK(back->lessons[0].task_ids == m.lessons[0].task_ids);
  CHECK(back->lessons[0].category == "refunds");
  CHECK(back->lessons[0].created_ms == 1700000000000);
  CHECK(back->lessons[1].text == "Café orders: ask which café.");
  CHECK(back->provenance == m.provenance);
  CHECK(back->ToJson() == j);

  auto bare = LessonMemory::FromJson({{"format", "kaizen.lessons/v1"}, {"lessons", json::array()}});
  REQUIRE(bare.ok());
  CHECK(bare->provenance == json::object());
}

TEST_CASE("lesson memory errors name the bad field") {
  auto error = [](const json& j) {
    auto m = LessonMemory::FromJson(j);
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().code() == Status::Code::kCorruption);
    return m.status().message();
  };
  const json lesson = {{"text", "t"}, {"task_ids", {"a"}}};
  CHECK(error(json::array()).find("not a JSON object") != std::string::npos);
  CHECK(error({{"lessons", json::array()}}).find("\"format\"") != std::string::npos);
  CHECK(error({{"format", "kaizen.lessons/v2"}, {"lessons", json::array()}}).find("kaizen.lessons/v2") !=
        std::string::npos);
  CHECK(error({{"format", kLessonMemoryFormat}}).find("lessons: missing or not an array") != std::string::npos);
  CHECK(error({{"format", kLessonMemoryFormat}, {"lessons", {lesson, {{"task_ids", {"a"}}}}}})
            .find("lessons[1].text") != std::string::npos);
  CHECK(error({{"format", kLessonMemoryFormat}, {"lessons", {{{"text", "t"}, {"task_ids", {"a", 3}}}}}})
            .find("lessons[0].task_ids[1]: not a string") != std::string::npos);
  CHECK(error({{"format", kLessonMemoryFormat}, {"lessons", {{{"text", "t"}}}}}).find("lessons[0].task_ids") !=
        std::string::npos);
  CHECK(error({{"format", kLessonMemoryFormat}, {"lessons", {{{"text", "t"}, {"task_ids", {"a"}}, {"created_ms", "x"}}}}})
            .find("lessons[0].created_ms: not an integer") != std::string::npos);
  CHECK(error({{"format", kLessonMemoryFormat}, {"lessons", {lesson}}, {"provenance", "x"}}).find("provenance") !=
        std::string::npos);
  auto junk = LessonMemory::Parse("{not json");
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.status().message().find("not JSON") != std::string::npos);
}

TEST_CASE("lesson retrieval: relevant lessons first none for an unrelated input") {
  std::vector<Lesson> lessons = {L("Greetings and thanks are small_talk.", {"1"}, 0, "small_talk"),
                                 L("Refunds requested after 30 days are billing_dispute.", {"2"}, 0, "refunds"),
                                 L("A declined card is card_declined, even when the shop is online.", {"3"}, 0,
                                   "card")};
  LessonRetriever retriever(lessons);
  CHECK(retriever.size() == 3);
  auto ids = retriever.Retrieve("I want a refund for an order from two months ago", 2);
  REQUIRE_FALSE(ids.empty());
  CHECK(ids[0] == 1);
  CHECK(retriever.Retrieve("my card got declined online", 1) == std::vector<std::size_t>{2});
  CHECK(retriever.Retrieve("zebra crossing", 3).empty());
  CHECK(RetrieveLessons(lessons, "my card got declined online", 3) == retriever.Retrieve("my card got declined online", 3));
  CHECK(LessonRetriever({}).Retrieve("anything", 3).empty());
}
