// The seccomp filter every sandboxed tool runs under, compiled to classic BPF
// for bubblewrap's --seccomp FD.
//
// Guarantees: the tool's process (and every process it starts) is killed with
// SIGSYS when it calls
//   - socket() for any family but AF_UNIX (AF_INET, AF_INET6, AF_NETLINK,
//     AF_PACKET, ...): "tried to open a socket" is thus a signal the sandbox
//     can report, not an error the tool could catch and hide;
//   - io_uring_setup/enter/register: io_uring can open sockets without the
//     socket() system call, so it would get around the rule above;
//   - any system call of a foreign ABI (i386, x32): libseccomp's bad-arch action.
// Everything else is allowed; the namespaces, read-only mounts and dropped
// capabilities of bubblewrap are what confine the rest.
//
// Failure: an IOError naming the libseccomp or memfd step that failed.
#pragma once

#include "agents/tools/unique_fd.h"
#include "runtime/base/result.h"

namespace kaizen::tools {

// A memfd holding the filter's BPF program, positioned at its start.
Result<UniqueFd> BuildSeccompFilter();

}  // namespace kaizen::tools
