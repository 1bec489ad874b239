#include "runtime/bus/endpoint.h"

#include <sys/un.h>
#include <unistd.h>

namespace kaizen::bus {

Status ValidateEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0) {
    std::string path = endpoint.substr(6);
    if (path.empty()) return Status::InvalidArgument("endpoint " + endpoint + " has no path");
    if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return Status::InvalidArgument("endpoint " + endpoint + " is " + std::to_string(path.size()) +
                                     " bytes long; Unix sockets allow " +
                                     std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                                     ": use a shorter state_dir or a tcp:// endpoint");
    }
    return Status::OK();
  }
  if (endpoint.rfind("tcp://", 0) == 0) {
    auto colon = endpoint.rfind(':');
    if (colon == std::string::npos || colon < 6 || colon + 1 == endpoint.size()) {
      return Status::InvalidArgument("endpoint " + endpoint + " must look like tcp://HOST:PORT");
    }
    return Status::OK();
  }
  return Status::InvalidArgument("endpoint " + endpoint + " must start with ipc:// or tcp://");
}

void RemoveStaleIpcSocket(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0) ::unlink(endpoint.substr(6).c_str());
}

}  // namespace kaizen::bus
