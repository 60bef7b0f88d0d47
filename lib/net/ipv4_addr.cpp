#include "net/ipv4_addr.hpp"

#include <fmt/format.h>

namespace wsgate::net {

namespace {

// Reads a decimal number 0..max at the front of `text`, advancing it: 1 to 3
// digits, no leading zero unless the number is 0 itself.
std::optional<uint32_t> take_decimal(std::string_view& text, uint32_t max) {
  size_t digits = 0;
  uint32_t value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    if (digits == 3) return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(text[digits] - '0');
    ++digits;
  }
  if (digits == 0 || (digits > 1 && text[0] == '0') || value > max) return std::nullopt;
  text.remove_prefix(digits);
  return value;
}

}  // namespace

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  uint32_t addr = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    auto octet = take_decimal(text, 255);
    if (!octet) return std::nullopt;
    addr = (addr << 8) | *octet;
  }
  if (!text.empty()) return std::nullopt;
  return addr;
}

std::optional<Ipv4Cidr> parse_ipv4_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = parse_ipv4(text.substr(0, slash));
  if (!addr) return std::nullopt;
  std::string_view len_text = text.substr(slash + 1);
  auto len = take_decimal(len_text, 32);
  if (!len || !len_text.empty()) return std::nullopt;
  return Ipv4Cidr{*addr, static_cast<uint8_t>(*len)};
}

std::string format_ipv4(uint32_t addr) {
  return fmt::format("{}.{}.{}.{}", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff, addr & 0xff);
}

std::string Ipv4Cidr::to_string() const { return fmt::format("{}/{}", format_ipv4(addr), prefix_len); }

}  // namespace wsgate::net
