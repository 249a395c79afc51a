// Result<T>: a value or an Error, with the shape of C++23 std::expected so that the move
// to C++23 becomes a type alias. Every fallible call in buildtool returns one; exceptions
// stop at the adapter that calls a throwing library. Not thread-safe beyond a plain value.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace bt {

// Codes are chosen by what the caller should do (see STYLE.md 2.4).
enum class ErrorCode {
  kInvalidArgument,     // bad user input: the user fixes the input
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kCancelled,
  kUnavailable,         // network failure, registry 5xx: retry
  kDataLoss,            // digest mismatch, corrupt store: discard and refetch
  kIo,                  // a system call failed; sys_errno says why
  kInternal,            // our bug
};

// A 1-based, inclusive range of lines in a source file (a Dockerfile).
struct SourceRange {
  std::string file;
  int start_line = 0;
  int end_line = 0;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;               // lowercase: what was attempted, on what, why
  std::vector<std::string> context;  // outer layers' context, innermost first
  std::optional<SourceRange> where;  // set for errors the user fixes in a source file
  int sys_errno = 0;

  // Adds one line of context on the way up (crun's crun_error_wrap).
  Error Wrap(std::string outer) && {
    context.push_back(std::move(outer));
    return std::move(*this);
  }
};

Error MakeError(ErrorCode code, std::string message);
// An kIo error for a failed system call: "<op> <path>: <strerror(errno)>".
Error ErrnoError(std::string_view op, std::string_view path, int err);

// Wraps an Error so that `return Unexpected(err);` reads like std::unexpected.
struct Unexpected {
  Error error;
  explicit Unexpected(Error e) : error(std::move(e)) {}
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return Checked(); }
  const T& value() const& { return const_cast<Result*>(this)->Checked(); }
  T&& value() && { return std::move(Checked()); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return const_cast<Result*>(this)->Checked(); }
  T&& operator*() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->Checked(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error& error() & { return std::get<1>(v_); }
  Error&& error() && { return std::move(std::get<1>(v_)); }

 private:
  T& Checked() {
    if (!has_value()) std::abort();  // value() on an error is a programming error
    return std::get<0>(v_);
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : error_(std::move(u.error)) {}  // NOLINT: implicit
  Result(Error e) : error_(std::move(e)) {}              // NOLINT: implicit

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  void value() const {
    if (!has_value()) std::abort();
  }
  const Error& error() const& { return *error_; }
  Error& error() & { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

}  // namespace bt

#define BT_CONCAT_INNER_(a, b) a##b
#define BT_CONCAT_(a, b) BT_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result) from the enclosing function.
#define BT_TRY(expr)                                              \
  do {                                                            \
    auto&& bt_try_result_ = (expr);                               \
    if (!bt_try_result_.has_value())                              \
      return ::bt::Unexpected(std::move(bt_try_result_).error()); \
  } while (0)

#define BT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)        \
  auto tmp = (expr);                                     \
  if (!tmp.has_value())                                  \
    return ::bt::Unexpected(std::move(tmp).error());     \
  lhs = std::move(tmp).value()

// `BT_ASSIGN_OR_RETURN(auto x, F());` declares x from F()'s value or returns its error.
#define BT_ASSIGN_OR_RETURN(lhs, expr) \
  BT_ASSIGN_OR_RETURN_IMPL_(BT_CONCAT_(bt_assign_result_, __LINE__), lhs, expr)

// A programming error: aborts with the file and line.
#define BT_CHECK(cond)                                  \
  do {                                                  \
    if (!(cond)) ::bt::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (0)

namespace bt {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line);
}  // namespace bt
