// The result of a wire view's check(): either a valid view or the named reason
// it was refused. C++20 has no std::expected; this is the small part we need.
// The error enum must have `none` as its zero value.
#pragma once
#include <cassert>
#include <optional>

namespace wsgate::net {

template <class View, class Error>
class Checked {
 public:
  static Checked ok(const View& view) { return Checked(view, Error::none); }
  static Checked fail(Error error) {
    assert(error != Error::none);
    return Checked(std::nullopt, error);
  }

  bool ok() const { return view_.has_value(); }
  explicit operator bool() const { return ok(); }
  Error error() const { return error_; }

  // Only valid when ok().
  const View& value() const { assert(ok()); return *view_; }
  const View& operator*() const { return value(); }
  const View* operator->() const { return &value(); }

 private:
  Checked(std::optional<View> view, Error error) : view_(view), error_(error) {}
  std::optional<View> view_;
  Error error_;
};

}  // namespace wsgate::net
