// NetnsPair: two network namespaces joined by a veth pair, standing in for
// two hosts in the multi-host tests. Made by the test and removed by it (the
// destructor deletes both namespaces, which removes the veth pair), with
// addresses that exist only on that link. Needs root (CAP_SYS_ADMIN and
// CAP_NET_ADMIN) and iproute2's `ip`.
#pragma once

#include <memory>
#include <string>

#include "runtime/base/result.h"

namespace kaizen::testing {

class NetnsPair {
 public:
  // Namespaces "<tag>-a" and "<tag>-b" (tag unique per test process), with
  // 10.77.0.1/30 on a's end and 10.77.0.2/30 on b's, loopback up in both.
  static Result<std::unique_ptr<NetnsPair>> Create(const std::string& tag);
  NetnsPair() = default;  // owns nothing; Create makes the namespaces
  ~NetnsPair();
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;

  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }
  static constexpr const char* kAddressA = "10.77.0.1";
  static constexpr const char* kAddressB = "10.77.0.2";
  // "ip netns exec <ns> " for the shell.
  std::string ExecIn(const std::string& ns) const { return "ip netns exec " + ns + " "; }

  // Takes b's end of the link down or up again: the hosts cannot reach each
  // other meanwhile (a cable pulled), but no socket is closed.
  Status SetLinkUp(bool up);

 private:
  std::string a_, b_, veth_a_, veth_b_;
};

// Why these tests cannot run here ("" when they can): not root, or no `ip`.
std::string NetnsUnavailableReason();

}  // namespace kaizen::testing
