// IPv4 addresses as host-order uint32_t: strict text parsing, formatting and
// subnet helpers. For configuration and logs, not the data path.
//
// Strict means: exactly four decimal octets 0..255 separated by '.', no
// leading zeros ("01" is refused: inet_aton would read it as octal), no signs,
// no spaces, nothing after the last digit. Prefix lengths are 0..32, same rules.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsgate::net {

struct Ipv4Cidr {
  uint32_t addr = 0;  // host order, as written (host bits are kept)
  uint8_t prefix_len = 0;

  std::string to_string() const;  // "a.b.c.d/len"
  friend bool operator==(const Ipv4Cidr&, const Ipv4Cidr&) = default;
};

std::optional<uint32_t> parse_ipv4(std::string_view text);       // "a.b.c.d"
std::optional<Ipv4Cidr> parse_ipv4_cidr(std::string_view text);  // "a.b.c.d/len"
std::string format_ipv4(uint32_t addr);                           // "a.b.c.d"

// prefix_len 0..32 (larger is treated as 32).
constexpr uint32_t netmask(uint8_t prefix_len) {
  if (prefix_len == 0) return 0;
  if (prefix_len >= 32) return 0xffffffffu;
  return 0xffffffffu << (32 - prefix_len);
}
constexpr bool same_subnet(uint32_t a, uint32_t b, uint8_t prefix_len) {
  return ((a ^ b) & netmask(prefix_len)) == 0;
}
constexpr uint32_t subnet_broadcast(uint32_t addr, uint8_t prefix_len) {
  return addr | ~netmask(prefix_len);
}

}  // namespace wsgate::net
