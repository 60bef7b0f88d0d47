// ARP for IPv4 over Ethernet (RFC 826): a zero-copy view (ArpPacket) and a
// parsed value (ArpRepr). Only htype 1 / ptype 0x0800 / hlen 6 / plen 4 is
// accepted; anything else is `unsupported_format`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/byte_order.hpp"
#include "net/checked.hpp"
#include "net/mac_addr.hpp"

namespace wsgate::net {

enum class ArpOp : uint16_t { Request = 1, Reply = 2 };

enum class ArpError : uint8_t {
  none = 0,
  truncated,           // fewer than 28 bytes
  unsupported_format,  // not Ethernet/IPv4 (htype, ptype, hlen or plen)
  bad_operation,       // op other than request (1) or reply (2)
};
std::string_view error_name(ArpError);  // "truncated", ... (for counter names)

class ArpPacket {
 public:
  static constexpr size_t kLen = 28;

  // Bytes after the 28th (Ethernet padding) are ignored.
  static Checked<ArpPacket, ArpError> check(std::span<const uint8_t> bytes);

  ArpOp op() const { return ArpOp{core::load_be16(p() + 6)}; }
  MacAddr sender_mac() const { return MacAddr::from_bytes(p() + 8); }
  uint32_t sender_ip() const { return core::load_be32(p() + 14); }
  MacAddr target_mac() const { return MacAddr::from_bytes(p() + 18); }
  uint32_t target_ip() const { return core::load_be32(p() + 24); }
  std::span<const uint8_t> bytes() const { return bytes_; }  // exactly 28 bytes

 private:
  explicit ArpPacket(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  const uint8_t* p() const { return bytes_.data(); }
  std::span<const uint8_t> bytes_;
};

struct ArpRepr {
  static constexpr size_t kLen = ArpPacket::kLen;

  ArpOp op = ArpOp::Request;
  MacAddr sender_mac;
  uint32_t sender_ip = 0;  // host order
  MacAddr target_mac;      // zero in a request
  uint32_t target_ip = 0;  // host order

  static ArpRepr parse(const ArpPacket& packet);
  static constexpr size_t buffer_len() { return kLen; }
  // Writes 28 bytes at out[0]. False (nothing written) if out is too short.
  bool emit(std::span<uint8_t> out) const;

  // Who-has target_ip? (send to MacAddr::broadcast()).
  static ArpRepr request(const MacAddr& our_mac, uint32_t our_ip, uint32_t target_ip);
  // The answer to `request`, which asked for our_ip (send to request.sender_mac).
  static ArpRepr reply_to(const ArpRepr& request, const MacAddr& our_mac, uint32_t our_ip);

  friend bool operator==(const ArpRepr&, const ArpRepr&) = default;
};

}  // namespace wsgate::net
