// ICMPv4 (RFC 792), echo only: a zero-copy view (IcmpPacket) and a parsed echo
// message (IcmpRepr). Other types are `unsupported_type`, the caller's counted drop.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/byte_order.hpp"
#include "net/checked.hpp"

namespace wsgate::net {

enum class IcmpType : uint8_t {
  EchoReply = 0,
  DestUnreachable = 3,
  EchoRequest = 8,
  TimeExceeded = 11,
};

enum class IcmpError : uint8_t {
  none = 0,
  truncated,         // fewer than 8 bytes
  bad_checksum,      // over the whole ICMP message
  unsupported_type,  // not echo request/reply (IcmpRepr::parse only)
};
std::string_view error_name(IcmpError);  // "truncated", ... (for counter names)

class IcmpPacket {
 public:
  static constexpr size_t kHeaderLen = 8;

  // `bytes` is the whole ICMP message (the IPv4 payload, padding already
  // excluded by Ipv4Packet). Checks the length, then the checksum.
  static Checked<IcmpPacket, IcmpError> check(std::span<const uint8_t> bytes);

  bool verify_checksum() const;
  IcmpType type() const { return IcmpType{p()[0]}; }
  uint8_t code() const { return p()[1]; }
  uint16_t checksum() const { return core::load_be16(p() + 2); }
  uint16_t echo_id() const { return core::load_be16(p() + 4); }   // echo only
  uint16_t echo_seq() const { return core::load_be16(p() + 6); }  // echo only
  std::span<const uint8_t> payload() const { return bytes_.subspan(kHeaderLen); }
  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  explicit IcmpPacket(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  const uint8_t* p() const { return bytes_.data(); }
  std::span<const uint8_t> bytes_;
};

struct IcmpRepr {
  IcmpType type = IcmpType::EchoRequest;  // EchoRequest or EchoReply
  uint8_t code = 0;
  uint16_t id = 0;
  uint16_t seq = 0;
  std::span<const uint8_t> payload;  // borrowed from the packet it was parsed from

  // unsupported_type for anything but echo request/reply.
  static Checked<IcmpRepr, IcmpError> parse(const IcmpPacket& packet);
  size_t buffer_len() const { return IcmpPacket::kHeaderLen + payload.size(); }
  // Writes buffer_len() bytes at out[0], checksum included. `payload` may
  // overlap out (it is moved, not copied). False if out is too short.
  bool emit(std::span<uint8_t> out) const;

  // The echo reply to this request: same id, seq and payload.
  IcmpRepr echo_reply() const { return IcmpRepr{IcmpType::EchoReply, 0, id, seq, payload}; }
};

// Writes the echo reply for `request` (an echo request) at out[0]; out may be
// the request's own bytes, so a received mbuf can be turned around in place.
// Returns the reply's length, or 0 if request is not an echo request or out is
// too short.
size_t write_echo_reply(const IcmpPacket& request, std::span<uint8_t> out);

}  // namespace wsgate::net
