#include "agents/tools/seccomp_filter.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace kaizen::tools {
namespace {

struct ContextRelease {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using SeccompContext = std::unique_ptr<void, ContextRelease>;

Status Failed(const std::string& step, int rc) {
  // libseccomp returns -errno.
  return Status::IOError("building the sandbox's seccomp filter: " + step + ": " + std::strerror(-rc));
}

}  // namespace

Result<UniqueFd> BuildSeccompFilter() {
  SeccompContext ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Status::IOError("building the sandbox's seccomp filter: seccomp_init failed");
  // Foreign ABIs (i386 int 0x80, x32) are killed, so socketcall() cannot get around the rule.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc < 0) return Failed("setting the bad-arch action", rc);

  rc = seccomp_rule_add(ctx.get(), SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 1,
                        SCMP_A0(SCMP_CMP_NE, static_cast<scmp_datum_t>(AF_UNIX)));
  if (rc < 0) return Failed("adding the socket() rule", rc);
  for (int call : {SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register)}) {
    rc = seccomp_rule_add(ctx.get(), SCMP_ACT_KILL_PROCESS, call, 0);
    if (rc < 0) return Failed("adding an io_uring rule", rc);
  }

  UniqueFd fd(memfd_create("kaizen-seccomp", MFD_CLOEXEC));
  if (!fd.valid()) return Status::IOError(std::string("building the sandbox's seccomp filter: memfd_create: ") +
                                          std::strerror(errno));
  rc = seccomp_export_bpf(ctx.get(), fd.get());
  if (rc < 0) return Failed("exporting the BPF program", rc);
  if (lseek(fd.get(), 0, SEEK_SET) != 0) {
    return Status::IOError(std::string("building the sandbox's seccomp filter: lseek: ") + std::strerror(errno));
  }
  return fd;
}

}  // namespace kaizen::tools
