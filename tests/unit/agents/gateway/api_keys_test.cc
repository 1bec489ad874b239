#include "agents/gateway/api_keys.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "runtime/base/sha256.h"
#include "tests/support/temp_dir.h"

using namespace kaizen;
using namespace kaizen::gateway;

namespace {

void WriteText(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string Line(const std::string& name, const std::string& key) { return name + " " + ApiKeyHash(key) + "\n"; }

// The message of the error Parse gives for `text`, or "" if it parsed.
std::string ParseError(const std::string& text) {
  auto keys = ApiKeys::Parse(text, "keys.txt");
  if (keys.ok()) return "";
  CHECK(keys.status().code() == Status::Code::kInvalidArgument);
  return keys.status().message();
}

}  // namespace

TEST_CASE("a key file with comments, blank lines, tabs and CRLF verifies the keys it lists", "[gateway][keys]") {
  const std::string text =
      "# gateway keys\n"
      "\n"
      "alice " + ApiKeyHash("kz-alice-secret") + "\n"
      "  bob\t" + ApiKeyHash("kz-bob-secret") + "   # the bob service\r\n"
      "   \t\n"
      "svc.ci-01 sha256:" + [] {
        std::string hex = Sha256Hex("kz-ci");
        for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return hex;  // upper-case hex is accepted
      }() + "\n"
      "last " + ApiKeyHash("kz-last");  // no newline at the end
  auto keys = ApiKeys::Parse(text, "keys.txt");
  REQUIRE(keys.ok());
  CHECK(keys->size() == 4);
  CHECK(keys->Verify("kz-alice-secret") == std::optional<std::string>("alice"));
  CHECK(keys->Verify("kz-bob-secret") == std::optional<std::string>("bob"));
  CHECK(keys->Verify("kz-ci") == std::optional<std::string>("svc.ci-01"));
  CHECK(keys->Verify("kz-last") == std::optional<std::string>("last"));
  CHECK(keys->Contains("alice"));
  CHECK_FALSE(keys->Contains("carol"));
  CHECK_FALSE(keys->Verify("kz-alice-secre").has_value());
  CHECK_FALSE(keys->Verify("").has_value());
  // The hash itself is not a key.
  CHECK_FALSE(keys->Verify(ApiKeyHash("kz-alice-secret")).has_value());
  CHECK_FALSE(keys->Verify(Sha256Hex("kz-alice-secret")).has_value());
}

TEST_CASE("an empty key file loads with no keys and verifies nothing", "[gateway][keys]") {
  auto keys = ApiKeys::Parse("# nobody yet\n\n", "keys.txt");
  REQUIRE(keys.ok());
  CHECK(keys->size() == 0);
  CHECK_FALSE(keys->Verify("kz-anything").has_value());
}

TEST_CASE("key file errors name file:line and what is wrong", "[gateway][keys]") {
  const std::string ok = Line("alice", "kz-a");
  CHECK(ParseError(ok + "-bad " + ApiKeyHash("kz-b")).find("keys.txt:2: bad name '-bad'") != std::string::npos);
  CHECK(ParseError(ok + "b/ad " + ApiKeyHash("kz-b")).find("keys.txt:2: bad name") != std::string::npos);
  CHECK(ParseError(std::string(64, 'n') + " " + ApiKeyHash("kz-b")).find("keys.txt:1: bad name") !=
        std::string::npos);
  CHECK(ParseError("\n\n" + ok + "alice " + ApiKeyHash("kz-b")) ==
        "keys.txt:4: duplicate name 'alice' (first at line 3)");
  CHECK(ParseError(ok + "bob " + ApiKeyHash("kz-a")).find("keys.txt:2: duplicate key: 'bob' has the same hash as "
                                                            "'alice' (line 1)") != std::string::npos);
  CHECK(ParseError(ok + "bob sha256:abc").find("keys.txt:2: bad hash for 'bob'") != std::string::npos);
  CHECK(ParseError(ok + "bob sha256:" + std::string(63, 'a') + "g").find("keys.txt:2: bad hash") != std::string::npos);
  CHECK(ParseError(ok + "bob md5:" + std::string(64, 'a')).find("keys.txt:2: bad hash") != std::string::npos);
  CHECK(ParseError(ok + "bob " + Sha256Hex("kz-b")).find("the sha256: prefix is missing") != std::string::npos);
  CHECK(ParseError(ok + "bob").find("keys.txt:2: expected `NAME sha256:HEX` (two fields), found 1") !=
        std::string::npos);
  CHECK(ParseError(ok + "bob " + ApiKeyHash("kz-b") + " extra").find("found 3") != std::string::npos);
}

TEST_CASE("a plain key pasted into the key file is refused without being quoted", "[gateway][keys]") {
  const std::string plain = "kz-" + std::string(64, '7');
  const std::string message = ParseError("alice " + plain + "\n");
  CHECK(message.find("keys.txt:1: bad hash for 'alice'") != std::string::npos);
  CHECK(message.find("looks like a plain key") != std::string::npos);
  CHECK(message.find(plain) == std::string::npos);
  CHECK(message.find("7777") == std::string::npos);
}

TEST_CASE("Verify refuses an over-long presented key without a look-up", "[gateway][keys]") {
  const std::string longest(kMaxApiKeyBytes, 'k');
  auto keys = ApiKeys::Parse(Line("big", longest) + Line("bigger", longest + "k"), "keys.txt");
  REQUIRE(keys.ok());
  CHECK(keys->Verify(longest) == std::optional<std::string>("big"));
  CHECK_FALSE(keys->Verify(longest + "k").has_value());
}

TEST_CASE("Verify may be called from many threads at once", "[gateway][keys]") {
  std::string text;
  for (int i = 0; i < 50; ++i) text += Line("k" + std::to_string(i), "kz-" + std::to_string(i));
  auto keys = ApiKeys::Parse(text, "keys.txt");
  REQUIRE(keys.ok());
  const ApiKeys& shared = *keys;
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared, &wrong, t] {
      for (int round = 0; round < 500; ++round) {
        const int i = (round * 7 + t) % 50;
        if (shared.Verify("kz-" + std::to_string(i)) != std::optional<std::string>("k" + std::to_string(i))) ++wrong[t];
        if (shared.Verify("kz-x" + std::to_string(i)).has_value()) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("Load reads a real file and refuses a missing or group-writable one", "[gateway][keys]") {
  testing::TempDir dir("gwkeys");
  const std::string path = dir.file("keys.txt");

  auto missing = ApiKeys::Load(path);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Status::Code::kNotFound);
  CHECK(missing.status().message().find("kaizen keys gateway NAME --file " + path) != std::string::npos);

  WriteText(path, Line("alice", "kz-a") + "bob nonsense\n", 0644);
  auto bad = ApiKeys::Load(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find(path + ":2: bad hash for 'bob'") != std::string::npos);

  WriteText(path, Line("alice", "kz-a"), 0644);  // others may read the hashes: allowed
  auto keys = ApiKeys::Load(path);
  REQUIRE(keys.ok());
  CHECK(keys->Verify("kz-a") == std::optional<std::string>("alice"));

  REQUIRE(::chmod(path.c_str(), 0664) == 0);
  auto writable = ApiKeys::Load(path);
  REQUIRE_FALSE(writable.ok());
  CHECK(writable.status().code() == Status::Code::kFailedPrecondition);
  CHECK(writable.status().message().find("mode 0664") != std::string::npos);
  CHECK(writable.status().message().find("chmod go-w " + path) != std::string::npos);

  auto directory = ApiKeys::Load(dir.path().string());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.status().message().find("not a regular file") != std::string::npos);
}

TEST_CASE("AddApiKey creates a 0600 file holding only the hash, and the key verifies", "[gateway][keys]") {
  testing::TempDir dir("gwkeys");
  const std::string path = dir.file("keys.txt");
  // Even a umask that would take the owner's write bit leaves the file 0600.
  const mode_t old_umask = ::umask(0277);
  std::string alice;
  Status s = AddApiKey(path, "alice", &alice);
  ::umask(old_umask);
  REQUIRE(s.ok());
  CHECK(ModeOf(path) == 0600);
  CHECK(std::regex_match(alice, std::regex("kz-[0-9a-f]{64}")));

  std::string bob;
  REQUIRE(AddApiKey(path, "bob", &bob).ok());
  CHECK(bob != alice);

  const std::string text = ReadText(path);
  CHECK(text == Line("alice", alice) + Line("bob", bob));
  CHECK(text.find(alice) == std::string::npos);
  CHECK(text.find(bob) == std::string::npos);
  CHECK(text.find(alice.substr(3)) == std::string::npos);

  auto keys = ApiKeys::Load(path);
  REQUIRE(keys.ok());
  CHECK(keys->size() == 2);
  CHECK(keys->Verify(alice) == std::optional<std::string>("alice"));
  CHECK(keys->Verify(bob) == std::optional<std::string>("bob"));
}

TEST_CASE("AddApiKey refuses a name already listed and a bad name, leaving the file as it was", "[gateway][keys]") {
  testing::TempDir dir("gwkeys");
  const std::string path = dir.file("keys.txt");
  std::string key;
  REQUIRE(AddApiKey(path, "alice", &key).ok());
  const std::string before = ReadText(path);

  std::string again = "untouched";
  Status dup = AddApiKey(path, "alice", &again);
  CHECK(dup.code() == Status::Code::kAlreadyExists);
  CHECK(dup.message().find("lists a key named 'alice' already") != std::string::npos);
  CHECK(again == "untouched");

  Status bad = AddApiKey(path, "no spaces", &again);
  CHECK(bad.code() == Status::Code::kInvalidArgument);
  CHECK(bad.message().find("bad key name 'no spaces'") != std::string::npos);
  CHECK(ReadText(path) == before);

  // A bad name does not even create the file.
  CHECK(AddApiKey(dir.file("other.txt"), "", &again).code() == Status::Code::kInvalidArgument);
  CHECK_FALSE(std::filesystem::exists(dir.file("other.txt")));
}

TEST_CASE("AddApiKey appends to a hand-written file and keeps its mode, and refuses one with an error",
          "[gateway][keys]") {
  testing::TempDir dir("gwkeys");
  const std::string path = dir.file("keys.txt");
  const std::string hand = "# ops\n" + Line("ops", "kz-ops").substr(0, Line("ops", "kz-ops").size() - 1);
  WriteText(path, hand, 0640);  // no newline at the end
  std::string key;
  REQUIRE(AddApiKey(path, "new", &key).ok());
  CHECK(ReadText(path) == hand + "\n" + Line("new", key));
  CHECK(ModeOf(path) == 0640);
  auto keys = ApiKeys::Load(path);
  REQUIRE(keys.ok());
  CHECK(keys->Verify("kz-ops") == std::optional<std::string>("ops"));
  CHECK(keys->Verify(key) == std::optional<std::string>("new"));

  const std::string broken = hand + "\nbob kz-plain\n";
  WriteText(path, broken);
  Status s = AddApiKey(path, "carol", &key);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message().find("not adding a key to a file with an error: " + path + ":3: bad hash for 'bob'") !=
        std::string::npos);
  CHECK(ReadText(path) == broken);

  WriteText(path, Line("ops", "kz-ops"), 0666);
  CHECK(AddApiKey(path, "carol", &key).code() == Status::Code::kFailedPrecondition);
}

TEST_CASE("a write that fails is returned and the partial line taken out again", "[gateway][keys]") {
  testing::TempDir dir("gwkeys");
  const std::string path = dir.file("keys.txt");
  std::string key;
  REQUIRE(AddApiKey(path, "alice", &key).ok());
  const std::string before = ReadText(path);

  // Let the file grow by only 10 bytes: the next line's write fails part-way (EFBIG).
  struct rlimit old_limit {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = before.size() + 10;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string lost = "untouched";
  Status s = AddApiKey(path, "bob", &lost);
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);

  CHECK(s.code() == Status::Code::kIOError);
  CHECK(s.message().find("writing " + path) != std::string::npos);
  CHECK(lost == "untouched");
  CHECK(ReadText(path) == before);
  REQUIRE(AddApiKey(path, "bob", &key).ok());
  auto keys = ApiKeys::Load(path);
  REQUIRE(keys.ok());
  CHECK(keys->Verify(key) == std::optional<std::string>("bob"));
}

TEST_CASE("concurrent AddApiKey calls each add their line and one name only once", "[gateway][keys]") {
  testing::TempDir dir("gwkeys");
  const std::string path = dir.file("keys.txt");
  constexpr int kThreads = 8;
  std::vector<std::string> keys(kThreads);
  std::vector<Status> results(kThreads);
  std::vector<std::string> same(kThreads);
  std::vector<Status> same_results(kThreads);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        results[i] = AddApiKey(path, "client-" + std::to_string(i), &keys[i]);
        same_results[i] = AddApiKey(path, "shared", &same[i]);
      });
    }
    for (auto& t : threads) t.join();
  }
  int shared_added = 0;
  for (int i = 0; i < kThreads; ++i) {
    INFO(results[i].ToString());
    CHECK(results[i].ok());
    if (same_results[i].ok()) {
      ++shared_added;
    } else {
      CHECK(same_results[i].code() == Status::Code::kAlreadyExists);
    }
  }
  CHECK(shared_added == 1);
  CHECK(ModeOf(path) == 0600);
  auto loaded = ApiKeys::Load(path);
  REQUIRE(loaded.ok());
  CHECK(loaded->size() == kThreads + 1);
  for (int i = 0; i < kThreads; ++i) CHECK(loaded->Verify(keys[i]) == "client-" + std::to_string(i));
}
