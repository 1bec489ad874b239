// The test server as a process (the binary the e2e tests run) and the rules
// its README promises: rewrite, judge, text, and a knowledgeable "oracle".
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "agents/models/jsonl_dataset.h"
#include "agents/models/llm/chat_client.h"
#include "agents/models/llm/prompt_model.h"
#include "tests/unit/agents/models/test_util.h"

namespace {

using namespace kaizen::models::llm;

// The server binary, started and stopped by pid.
class ServerProcess {
 public:
  explicit ServerProcess(const std::string& port_file, std::vector<std::string> args) {
    args.insert(args.begin(), {KAIZEN_OPENAI_TEST_SERVER, "--port-file", port_file});
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 600 && port_ == 0; ++i) {  // up to 30 s on a loaded machine
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream(port_file) >> port_;
    }
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

std::unique_ptr<ChatClient> Client(int port, const std::string& model) {
  ChatClientConfig c;
  c.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  c.model = model;
  c.max_concurrency = 4;
  auto client = ChatClient::Create(c);
  REQUIRE(client.ok());
  return std::move(*client);
}

}  // namespace

TEST_CASE("the server binary: rewrite, judge and text rules, and an oracle that knows CLINC150") {
  kaizen::models::testing::ScratchDir dir;
  const std::string data = std::string(KAIZEN_SOURCE_DIR) + "/manifests/data/clinc150.jsonl";
  ServerProcess server(dir.File("port"), {"--knowledge", "oracle=" + data});
  REQUIRE(server.port() > 0);
  auto client = Client(server.port(), "kaizen-test");

  SECTION("rewrite: the instructions plus a keyword line per failing label") {
    auto r = client->Complete({{"user",
                                "Current instructions:\n<<<\nClassify.\n>>>\n\nAllowed labels: a, b\n\n"
                                "- \"lock my stolen card\" -> freeze_account (it answered transfer)\n"
                                "- \"card was stolen yesterday\" -> freeze_account\n"
                                "- \"what is my balance\" -> balance\n\nReply with the new instructions only."}});
    REQUIRE(r.ok());
    CHECK(r->text == "Classify.\nfreeze_account: lock stolen card yesterday\nbalance: balance");
  }
  SECTION("judge: unigram F1 of the answer against the reference") {
    auto r = client->Complete({{"system", "You are a judge."},
                               {"user", "Input:\nsome text\n\nReference:\nthe cat sat on the mat\n\nAnswer:\ncat sat"}});
    REQUIRE(r.ok());
    // content words: reference {cat, sat, mat}, answer {cat, sat}: P 1, R 2/3, F1 0.8
    CHECK(r->text == "{\"score\":0.8}");
  }
  SECTION("text: as many words as the examples' answers have") {
    auto r = client->Complete({{"user", "one two three four five six"}, {"assistant", "a b"},
                               {"user", "alpha beta gamma delta"}});
    REQUIRE(r.ok());
    CHECK(r->text == "alpha beta");
  }
  SECTION("the oracle labels held-out CLINC150 messages well, the bare model poorly") {
    auto val = kaizen::models::LoadJsonlExamples(data, "val", {"banking", "travel"});
    REQUIRE(val.ok());
    std::vector<std::string> labels;
    for (const auto& e : val->examples) {
      if (std::find(labels.begin(), labels.end(), e.label) == labels.end()) labels.push_back(e.label);
    }
    PromptModel m;
    m.labels = labels;
    auto accuracy = [&](ChatClient& c) {
      int right = 0;
      for (const auto& e : val->examples) {
        auto a = Answer(c, m, e.text);
        right += a.ok() && *a == e.label;
      }
      return static_cast<double>(right) / val->examples.size();
    };
    auto oracle = Client(server.port(), "oracle");
    const double strong = accuracy(*oracle), bare = accuracy(*client);
    INFO("oracle " << strong << ", bare " << bare << " on " << val->examples.size() << " rows");
    CHECK(strong >= 0.8);
    CHECK(bare < strong - 0.3);
  }
}
