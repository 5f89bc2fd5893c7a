// Status: the one error type of the core. Codes are TensorFlow's error codes,
// so the Python layer can map each to the matching metarun.errors class.
#pragma once

#include <string>
#include <utility>

namespace metarun {

enum class Code : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kDataLoss = 15,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
inline Status not_found(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status failed_precondition(std::string m) { return Status(Code::kFailedPrecondition, std::move(m)); }
inline Status unimplemented(std::string m) { return Status(Code::kUnimplemented, std::move(m)); }
inline Status internal_error(std::string m) { return Status(Code::kInternal, std::move(m)); }
inline Status out_of_range(std::string m) { return Status(Code::kOutOfRange, std::move(m)); }
inline Status permission_denied(std::string m) { return Status(Code::kPermissionDenied, std::move(m)); }
inline Status cancelled(std::string m) { return Status(Code::kCancelled, std::move(m)); }

// Concatenates streamable pieces into one message.
template <class... Args>
std::string str_cat(const Args&... args);

}  // namespace metarun

#include <sstream>
#include <type_traits>

namespace metarun {
namespace detail {
// The stream str_cat writes to, built and read out of line: an instantiation
// of str_cat is then only its `<<` calls.
class Concat {
 public:
  Concat();
  ~Concat();
  std::ostream& stream() { return os_; }
  std::string str() const;

 private:
  std::ostringstream os_;
};

template <class... Args>
std::string concat(const Args&... args) {
  Concat c;
  (c.stream() << ... << args);
  return c.str();
}

// String literals are passed as pointers, so messages that differ only in
// their literals' lengths share one instantiation.
template <class T>
using ConcatArg = std::conditional_t<std::is_array_v<T>, const std::remove_extent_t<T>*, T>;
}  // namespace detail

template <class... Args>
std::string str_cat(const Args&... args) {
  return detail::concat<detail::ConcatArg<Args>...>(args...);
}
}  // namespace metarun

// Returns the status from the enclosing function unless it is ok.
#define MR_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::metarun::Status _st = (expr);         \
    if (!_st.ok()) return _st;              \
  } while (0)

// TF's OP_REQUIRES: fail the kernel with an InvalidArgument status.
#define MR_REQUIRE(cond, ...)                                              \
  do {                                                                     \
    if (!(cond)) return ::metarun::invalid_argument(::metarun::str_cat(__VA_ARGS__)); \
  } while (0)
