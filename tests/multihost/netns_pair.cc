#include "tests/multihost/netns_pair.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace kaizen::testing {
namespace {

// Runs a shell command; OK or the command and its exit status.
Status Sh(const std::string& cmd) {
  const int status = std::system((cmd + " 2>&1").c_str());
  if (status == 0) return Status::OK();
  return Status::IOError("`" + cmd + "` failed (wait status " + std::to_string(status) + ")");
}

}  // namespace

std::string NetnsUnavailableReason() {
  if (::geteuid() != 0) return "needs root to create network namespaces (run as root, as CI does)";
  if (std::system("command -v ip >/dev/null 2>&1") != 0) return "needs iproute2's `ip` (scripts/install-deps.sh)";
  return "";
}

Result<std::unique_ptr<NetnsPair>> NetnsPair::Create(const std::string& tag) {
  auto p = std::make_unique<NetnsPair>();
  p->a_ = tag + "-a";
  p->b_ = tag + "-b";
  // Interface names are at most 15 bytes; they live inside the namespaces,
  // so they only need to be unique while both ends are still here.
  const std::string suffix = std::to_string(::getpid() % 100000);
  p->veth_a_ = "kza" + suffix;
  p->veth_b_ = "kzb" + suffix;
  for (const std::string& cmd : {
           "ip netns add " + p->a_,
           "ip netns add " + p->b_,
           "ip link add " + p->veth_a_ + " type veth peer name " + p->veth_b_,
           "ip link set " + p->veth_a_ + " netns " + p->a_,
           "ip link set " + p->veth_b_ + " netns " + p->b_,
           p->ExecIn(p->a_) + "ip addr add " + kAddressA + "/30 dev " + p->veth_a_,
           p->ExecIn(p->b_) + "ip addr add " + kAddressB + "/30 dev " + p->veth_b_,
           p->ExecIn(p->a_) + "ip link set lo up",
           p->ExecIn(p->b_) + "ip link set lo up",
           p->ExecIn(p->a_) + "ip link set " + p->veth_a_ + " up",
           p->ExecIn(p->b_) + "ip link set " + p->veth_b_ + " up",
       }) {
    if (Status s = Sh(cmd); !s.ok()) return s;  // the destructor removes what was made
  }
  return p;
}

NetnsPair::~NetnsPair() {
  // Deleting a namespace destroys the veth end in it, and with it the peer.
  for (const std::string& ns : {a_, b_}) {
    if (ns.empty()) continue;
    if (Status s = Sh("ip netns del " + ns); !s.ok()) std::fprintf(stderr, "netns cleanup: %s\n", s.ToString().c_str());
  }
  // A veth end still in the root namespace (made, not yet moved).
  if (!veth_a_.empty() && std::system(("ip link show " + veth_a_ + " >/dev/null 2>&1").c_str()) == 0) {
    if (Status s = Sh("ip link del " + veth_a_); !s.ok()) std::fprintf(stderr, "netns cleanup: %s\n", s.ToString().c_str());
  }
}

Status NetnsPair::SetLinkUp(bool up) {
  return Sh(ExecIn(b_) + "ip link set " + veth_b_ + (up ? " up" : " down"));
}

}  // namespace kaizen::testing
