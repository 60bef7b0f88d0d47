// Comma-separated header values ("keep-alive, Upgrade"; RFC 9110 section 5.6.1):
// empty elements are allowed and skipped, each element is trimmed of OWS.
#pragma once
#include <string_view>

#include "http/ascii.hpp"

namespace wsgate::http {

// Calls f(token) for each non-empty element in order; stops early when f
// returns false. Returns false iff stopped early.
template <typename F>
constexpr bool for_each_list_element(std::string_view list, F&& f) {
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty() && !f(element)) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

constexpr bool list_contains_token(std::string_view list, std::string_view token) {
  return !for_each_list_element(list, [&](std::string_view e) { return !iequals(e, token); });
}

}  // namespace wsgate::http
