// Status: the outcome of an operation that crosses a module boundary.
// Errors are values with a message a person can act on; exceptions stay
// inside the module that caught them.
#pragma once

#include <string>
#include <utility>

namespace kaizen {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,   // the caller gave something wrong (manifest, flag, input)
    kNotFound,
    kAlreadyExists,
    kIOError,           // file system, socket, process
    kCorruption,        // stored data failed a check (checksum, schema)
    kUnavailable,       // a peer is not there (runtime down, agent lost)
    kFailedPrecondition,
    kTimeout,
    kInternal,
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
  static Status Timeout(std::string m) { return {Code::kTimeout, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Prefixes the message with context, e.g. "loading model v3: ".
  Status WithContext(const std::string& context) const;

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

const char* CodeName(Status::Code code);

}  // namespace kaizen
