// util: errors, logging, memory-mapped files, small helpers shared by every layer.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace minerva {

// What kind of failure an Error is, for callers that act on it rather than print it.
// Unsupported: the input is valid but this engine cannot run it (an architecture or tensor
// type it does not implement) — a backend router may hand the model to another engine.
enum class ErrorKind { Failure, Unsupported };

// A recoverable failure: a message a user can act on. Layers add context as the
// error travels up ("loading model.gguf: tensor 'x': ...") with with_context(); the kind survives.
struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::Failure;

  Error with_context(const std::string& context) const { return Error{context + ": " + message, kind}; }
};

// Result<T> holds either a value or an Error. Used at every layer boundary; exceptions
// never cross one. Accessing value() of an error (or error() of a value) is a
// programmer bug and asserts.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string message, ErrorKind kind = ErrorKind::Failure) {
  return Error{std::move(message), kind};
}

}  // namespace minerva

// Propagates an error from an expression returning Result<T>; binds the value otherwise.
// `decl` is a declaration or an lvalue, so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define MINERVA_CONCAT_INNER(a, b) a##b
#define MINERVA_CONCAT(a, b) MINERVA_CONCAT_INNER(a, b)
#define MINERVA_TRY_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                      \
  if (!tmp.ok()) return tmp.error();      \
  decl = std::move(tmp).value()
#define MINERVA_TRY(decl, expr) MINERVA_TRY_IMPL(MINERVA_CONCAT(minerva_try_, __LINE__), decl, expr)
#define MINERVA_CHECK(expr)                                    \
  do {                                                         \
    auto minerva_status_ = (expr);                             \
    if (!minerva_status_.ok()) return minerva_status_.error(); \
  } while (0)
// NOLINTEND(bugprone-macro-parentheses)
