// A 48-bit Ethernet (IEEE 802) address, kept as the six bytes in wire order.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace wsgate::net {

struct MacAddr {
  std::array<uint8_t, 6> b{};

  static constexpr MacAddr broadcast() { return MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  static MacAddr from_bytes(const uint8_t* p) {
    MacAddr m;
    std::memcpy(m.b.data(), p, 6);
    return m;
  }
  void write_to(uint8_t* p) const { std::memcpy(p, b.data(), 6); }

  constexpr bool is_broadcast() const { return *this == broadcast(); }
  // The I/G bit (least significant bit of the first octet); broadcast is multicast too.
  constexpr bool is_multicast() const { return (b[0] & 0x01) != 0; }
  constexpr bool is_unicast() const { return !is_multicast(); }
  constexpr bool is_zero() const { return *this == MacAddr{}; }

  friend constexpr bool operator==(const MacAddr&, const MacAddr&) = default;

  // "aa:bb:cc:dd:ee:ff", lower-case. Allocates: for logs and config, not the data path.
  std::string to_string() const;
  // Strict "aa:bb:cc:dd:ee:ff" (either case, exactly two hex digits per octet).
  static std::optional<MacAddr> parse(std::string_view text);
};

}  // namespace wsgate::net

// fmt::format("{}", mac) for logs.
template <>
struct fmt::formatter<wsgate::net::MacAddr> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const wsgate::net::MacAddr& m, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m.b[0], m.b[1], m.b[2],
                          m.b[3], m.b[4], m.b[5]);
  }
};
