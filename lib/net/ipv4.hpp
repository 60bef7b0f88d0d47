// IPv4 (RFC 791): a zero-copy view (Ipv4Packet) and a parsed header (Ipv4Repr).
//
// Receive policy, for a host that does not reassemble:
// - Fragments are refused (`fragment`): wsgate's peers use PMTU discovery and
//   TCP MSS, so a fragment is an attack or a misconfiguration.
// - TTL is not checked on receive. RFC 1122 3.2.1.7: a host MUST NOT discard a
//   datagram just because its TTL is below 2; TTL is a router's business.
// - Options are skipped (payload starts after IHL*4), never interpreted.
// - Destination filtering (our address vs broadcast) is the caller's job.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/byte_order.hpp"
#include "net/checked.hpp"

namespace wsgate::net {

namespace ip_proto {
inline constexpr uint8_t kIcmp = 1;
inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;
}  // namespace ip_proto

enum class Ipv4Error : uint8_t {
  none = 0,
  truncated,          // buffer shorter than 20 bytes or than IHL*4
  bad_version,        // version != 4
  bad_header_length,  // IHL < 5
  bad_total_length,   // total length < IHL*4 or > buffer
  bad_checksum,
  fragment,           // MF set or fragment offset != 0
};
inline constexpr int kIpv4ErrorCount = 7;
std::string_view error_name(Ipv4Error);  // "truncated", ... (for counter names)

class Ipv4Packet {
 public:
  static constexpr size_t kMinHeaderLen = 20;

  // Structural checks only (version and every length), in that order:
  // truncated (< 20), bad_version, bad_header_length, truncated (< IHL*4),
  // bad_total_length. Bytes after total length (Ethernet padding) are ignored.
  static Checked<Ipv4Packet, Ipv4Error> check(std::span<const uint8_t> bytes);
  // check(), then the header checksum (skipped when the NIC already verified
  // it), then the fragment refusal: everything the receive path needs.
  static Checked<Ipv4Packet, Ipv4Error> check_for_host(std::span<const uint8_t> bytes,
                                                        bool checksum_verified_by_nic = false);

  bool verify_checksum() const;

  uint8_t version() const { return p()[0] >> 4; }
  size_t header_len() const { return size_t{p()[0] & 0x0fu} * 4; }
  uint8_t tos() const { return p()[1]; }
  uint16_t total_len() const { return core::load_be16(p() + 2); }
  uint16_t id() const { return core::load_be16(p() + 4); }
  bool dont_fragment() const { return (p()[6] & 0x40) != 0; }
  bool more_fragments() const { return (p()[6] & 0x20) != 0; }
  uint16_t fragment_offset() const { return core::load_be16(p() + 6) & 0x1fff; }  // 8-byte units
  bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
  uint8_t ttl() const { return p()[8]; }
  uint8_t protocol() const { return p()[9]; }
  uint16_t checksum() const { return core::load_be16(p() + 10); }
  uint32_t src() const { return core::load_be32(p() + 12); }  // host order
  uint32_t dst() const { return core::load_be32(p() + 16); }  // host order

  std::span<const uint8_t> header() const { return bytes_.first(header_len()); }
  // Bytes header_len .. total_len (padding excluded).
  std::span<const uint8_t> payload() const { return bytes_.subspan(header_len()); }
  // The datagram, exactly total_len bytes.
  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  explicit Ipv4Packet(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  const uint8_t* p() const { return bytes_.data(); }
  std::span<const uint8_t> bytes_;  // trimmed to total_len by check()
};

struct Ipv4Repr {
  static constexpr size_t kHeaderLen = 20;  // we never emit options

  uint32_t src = 0;  // host order
  uint32_t dst = 0;  // host order
  uint8_t protocol = 0;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t id = 0;
  bool dont_fragment = true;
  uint16_t payload_len = 0;

  static Ipv4Repr parse(const Ipv4Packet& packet);
  static constexpr size_t buffer_len() { return kHeaderLen; }
  uint16_t total_len() const { return static_cast<uint16_t>(kHeaderLen + payload_len); }

  // Writes the 20-byte header at out[0]. With fill_checksum false the checksum
  // field is left 0 for the NIC to fill (RTE_MBUF_F_TX_IP_CKSUM). False
  // (nothing written) if out is too short or payload_len > 65535 - 20.
  bool emit(std::span<uint8_t> out, bool fill_checksum = true) const;

  friend bool operator==(const Ipv4Repr&, const Ipv4Repr&) = default;
};

}  // namespace wsgate::net
