// StageJobs with fakes: what each kind of request means, answered through a
// recording port, with a stage whose start and cancel are scripted.
#include "agents/sdk/stage_jobs.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace kaizen::sdk {
namespace {

using v1::Envelope;

struct Sent {
  std::string to_message;  // the request's message id the reply answers
  Envelope reply;
};

struct Fixture {
  std::vector<Sent> sent;
  std::vector<std::string> started, cancelled, adopted, states;
  int drains = 0;
  Status start_result = Status::OK();
  Status cancel_result = Status::OK();
  StageJobs jobs;

  Fixture()
      : jobs(
            StageJobs::Stage{
                "training",
                [this](const Envelope& r) {
                  started.push_back(r.message_id());
                  return start_result;
                },
                [this](StageJobs::StopReason why) {
                  cancelled.push_back(why == StageJobs::StopReason::kSuperseded ? "superseded" : "draining");
                  return cancel_result;
                },
                [this](const Envelope& r) { adopted.push_back(r.message_id()); }},
            StageJobs::Port{[this](const Envelope& req, Envelope reply) { sent.push_back({req.message_id(), reply}); },
                            [this](v1::AgentState s, const std::string& d) {
                              states.push_back(std::string(s == v1::AGENT_STATE_IDLE ? "idle: " : "busy: ") + d);
                            },
                            [this] { ++drains; }}) {}

  static Envelope Request(const std::string& message_id, const std::string& key) {
    Envelope e;
    e.set_message_id(message_id);
    e.set_cycle_id("c1");
    e.set_job_key(key);
    e.mutable_train_request()->set_output_version("v2");
    return e;
  }
  static Envelope Ready(const std::string& version) {
    Envelope e;
    e.mutable_model_ready()->set_version(version);
    return e;
  }
};

}  // namespace

TEST_CASE("stage jobs: a request starts a job, and its answer goes to the request", "[sdk][stage_jobs]") {
  Fixture f;
  f.jobs.OnRequest(Fixture::Request("m1", "c1:training:1"));
  REQUIRE(f.started == std::vector<std::string>{"m1"});
  REQUIRE(f.jobs.running());
  CHECK(f.jobs.key() == "c1:training:1");
  f.jobs.Progress("training v2: 50%");
  f.jobs.Complete(Fixture::Ready("v2"), "trained v2");
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].to_message == "m1");
  CHECK(f.sent[0].reply.model_ready().version() == "v2");
  CHECK(f.states == std::vector<std::string>{"busy: training v2: 50%", "idle: trained v2"});
  CHECK_FALSE(f.jobs.running());
}

TEST_CASE("stage jobs: a copy of a running request is adopted, and answered instead of the first", "[sdk][stage_jobs]") {
  Fixture f;
  f.jobs.OnRequest(Fixture::Request("m1", "c1:training:1"));
  f.jobs.OnRequest(Fixture::Request("m2", "c1:training:1"));  // the runtime restarted and sent it again
  CHECK(f.started == std::vector<std::string>{"m1"});
  CHECK(f.adopted == std::vector<std::string>{"m2"});
  CHECK(f.cancelled.empty());
  f.jobs.Complete(Fixture::Ready("v2"), "trained v2");
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].to_message == "m2");
}

TEST_CASE("stage jobs: a copy of an answered request gets the same answer and runs nothing", "[sdk][stage_jobs]") {
  Fixture f;
  f.jobs.OnRequest(Fixture::Request("m1", "c1:training:1"));
  f.jobs.Complete(Fixture::Ready("v2"), "trained v2");
  f.jobs.OnRequest(Fixture::Request("m2", "c1:training:1"));
  CHECK(f.started.size() == 1);
  REQUIRE(f.sent.size() == 2);
  CHECK(f.sent[1].to_message == "m2");
  CHECK(f.sent[1].reply.model_ready().version() == "v2");
}

TEST_CASE("stage jobs: a failure is answered with a mapped code and not cached", "[sdk][stage_jobs]") {
  Fixture f;
  f.jobs.OnRequest(Fixture::Request("m1", "c1:training:1"));
  f.jobs.Fail(Status::InvalidArgument("dataset has no rows\nmore detail"));
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].reply.error().code() == v1::Error::BAD_REQUEST);
  CHECK(f.sent[0].reply.error().message() == "dataset has no rows\nmore detail");
  CHECK(f.states.back() == "idle: training failed: dataset has no rows");
  // The same request again runs again: the cause may have passed.
  f.jobs.OnRequest(Fixture::Request("m2", "c1:training:1"));
  CHECK(f.started == std::vector<std::string>{"m1", "m2"});
}

TEST_CASE("stage jobs: a start that fails is answered at once", "[sdk][stage_jobs]") {
  Fixture f;
  f.start_result = Status::Internal("cannot start the trainer");
  f.jobs.OnRequest(Fixture::Request("m1", "c1:training:1"));
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].reply.error().code() == v1::Error::INTERNAL);
  CHECK_FALSE(f.jobs.running());
}

TEST_CASE("stage jobs: a new key supersedes the running job, unless the stage cannot stop", "[sdk][stage_jobs]") {
  Fixture f;
  f.jobs.OnRequest(Fixture::Request("m1", "c1:training:1"));
  SECTION("the stage stops: the new job starts, the old one is never answered") {
    f.jobs.OnRequest(Fixture::Request("m2", "c2:training:1"));
    CHECK(f.cancelled == std::vector<std::string>{"superseded"});
    CHECK(f.started == std::vector<std::string>{"m1", "m2"});
    CHECK(f.jobs.key() == "c2:training:1");
    f.jobs.Complete(Fixture::Ready("v3"), "trained v3");
    REQUIRE(f.sent.size() == 1);
    CHECK(f.sent[0].to_message == "m2");
  }
  SECTION("the stage cannot stop: the new request is refused as unavailable, the old job goes on") {
    f.cancel_result = Status::FailedPrecondition("labeling 300/1000");
    f.jobs.OnRequest(Fixture::Request("m2", "c2:training:1"));
    REQUIRE(f.sent.size() == 1);
    CHECK(f.sent[0].to_message == "m2");
    CHECK(f.sent[0].reply.error().code() == v1::Error::UNAVAILABLE);
    CHECK(f.sent[0].reply.error().message().find("labeling 300/1000") != std::string::npos);
    CHECK(f.jobs.key() == "c1:training:1");
    CHECK(f.started.size() == 1);
  }
}

TEST_CASE("stage jobs: a drain stops the job or waits for its answer, and refuses new requests", "[sdk][stage_jobs]") {
  Fixture f;
  SECTION("nothing running: the drain ends at once") {
    f.jobs.Drain();
    CHECK(f.drains == 1);
  }
  SECTION("the stage stops its job: the drain ends, nothing is answered") {
    f.jobs.OnRequest(Fixture::Request("m1", "c1:training:1"));
    f.jobs.Drain();
    CHECK(f.cancelled == std::vector<std::string>{"draining"});
    CHECK(f.drains == 1);
    CHECK(f.sent.empty());
  }
  SECTION("the stage finishes first: the drain ends after the answer") {
    f.cancel_result = Status::FailedPrecondition("evaluating");
    f.jobs.OnRequest(Fixture::Request("m1", "c1:training:1"));
    f.jobs.Drain();
    CHECK(f.drains == 0);
    f.jobs.OnRequest(Fixture::Request("m2", "c2:training:1"));
    REQUIRE(f.sent.size() == 1);
    CHECK(f.sent[0].reply.error().code() == v1::Error::UNAVAILABLE);
    f.jobs.Complete(Fixture::Ready("v2"), "trained v2");
    CHECK(f.sent.size() == 2);
    CHECK(f.drains == 1);
  }
}

TEST_CASE("stage jobs: only the last answers are kept", "[sdk][stage_jobs]") {
  Fixture f;
  for (std::size_t i = 0; i <= StageJobs::kCachedAnswers; ++i) {
    f.jobs.OnRequest(Fixture::Request("m" + std::to_string(i), "c" + std::to_string(i) + ":training:1"));
    f.jobs.Complete(Fixture::Ready("v"), "done");
  }
  const std::size_t runs = f.started.size();
  f.jobs.OnRequest(Fixture::Request("again", "c" + std::to_string(StageJobs::kCachedAnswers) + ":training:1"));
  CHECK(f.started.size() == runs);  // the newest is still answered from memory
  f.jobs.OnRequest(Fixture::Request("oldest", "c0:training:1"));
  CHECK(f.started.size() == runs + 1);  // the oldest was forgotten and runs again
}

TEST_CASE("stage jobs: a request without a job key is keyed by its body", "[sdk][stage_jobs]") {
  Envelope a = Fixture::Request("m1", "");
  Envelope b = Fixture::Request("m2", "");
  b.set_sender("runtime");
  CHECK(StageJobs::KeyOf(a) == StageJobs::KeyOf(b));
  b.mutable_train_request()->set_output_version("v3");
  CHECK(StageJobs::KeyOf(a) != StageJobs::KeyOf(b));
  CHECK(StageJobs::KeyOf(Fixture::Request("m1", "c1:training:1")) == "c1:training:1");
}

TEST_CASE("stage jobs: error codes from statuses", "[sdk][stage_jobs]") {
  CHECK(StageJobs::ErrorCodeOf(Status::NotFound("x")) == v1::Error::BAD_REQUEST);
  CHECK(StageJobs::ErrorCodeOf(Status::Unavailable("x")) == v1::Error::UNAVAILABLE);
  CHECK(StageJobs::ErrorCodeOf(Status::IOError("x")) == v1::Error::INTERNAL);
}

}  // namespace kaizen::sdk
