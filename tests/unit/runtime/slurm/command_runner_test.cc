// SystemCommandRunner with real child processes (sh, cat, sleep).
#include <catch2/catch.hpp>

#include "runtime/slurm/slurm_client.h"

namespace kaizen::slurm {

TEST_CASE("SystemCommandRunner captures stdout, stderr and the exit code, feeding stdin", "[slurm]") {
  auto run = SystemCommandRunner();
  auto r = run({"sh", "-c", "cat; echo oops >&2; exit 3"}, "hello\n", 10000);
  REQUIRE(r.ok());
  CHECK(r->exit_code == 3);
  CHECK(r->out == "hello\n");
  CHECK(r->err == "oops\n");
  // Input the child never reads does not hang or kill the caller (SIGPIPE).
  auto ignored = run({"true"}, std::string(1 << 20, 'x'), 10000);
  REQUIRE(ignored.ok());
  CHECK(ignored->exit_code == 0);
}

TEST_CASE("SystemCommandRunner: no shell, a missing command, a timeout", "[slurm]") {
  auto run = SystemCommandRunner();
  auto literal = run({"echo", "$HOME;", "`x`"}, "", 10000);
  REQUIRE(literal.ok());
  CHECK(literal->out == "$HOME; `x`\n");
  auto missing = run({"kaizen-no-such-command-here"}, "", 10000);
  CHECK(missing.status().code() == Status::Code::kIOError);
  auto slow = run({"sleep", "30"}, "", 200);
  CHECK(slow.status().code() == Status::Code::kTimeout);
}

}  // namespace kaizen::slurm
