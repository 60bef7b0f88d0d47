// Ethernet II frames: a zero-copy view (EthernetFrame) and a parsed header
// (EthernetRepr). No 802.1Q: a VLAN tag shows up as ethertype 0x8100 and, like
// every type other than IPv4 and ARP, is the caller's counted drop.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/byte_order.hpp"
#include "net/mac_addr.hpp"

namespace wsgate::net {

enum class EtherType : uint16_t {
  Ipv4 = 0x0800,
  Arp = 0x0806,
  Vlan = 0x8100,
  Ipv6 = 0x86DD,
};

class EthernetFrame {
 public:
  static constexpr size_t kHeaderLen = 14;

  // The only failure is a frame shorter than the header.
  static std::optional<EthernetFrame> check(std::span<const uint8_t> bytes) {
    if (bytes.size() < kHeaderLen) return std::nullopt;
    return EthernetFrame(bytes);
  }

  MacAddr dst() const { return MacAddr::from_bytes(bytes_.data()); }
  MacAddr src() const { return MacAddr::from_bytes(bytes_.data() + 6); }
  EtherType ethertype() const { return EtherType{core::load_be16(bytes_.data() + 12)}; }
  // Everything after the header, including any padding to the 60-byte minimum:
  // the layer above trims by its own length field.
  std::span<const uint8_t> payload() const { return bytes_.subspan(kHeaderLen); }
  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  explicit EthernetFrame(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  std::span<const uint8_t> bytes_;
};

struct EthernetRepr {
  static constexpr size_t kHeaderLen = EthernetFrame::kHeaderLen;

  MacAddr dst;
  MacAddr src;
  EtherType ethertype = EtherType::Ipv4;

  static EthernetRepr parse(const EthernetFrame& frame) {
    return EthernetRepr{frame.dst(), frame.src(), frame.ethertype()};
  }
  static constexpr size_t buffer_len() { return kHeaderLen; }

  // Writes the 14-byte header at out[0]. False (nothing written) if out is too short.
  bool emit(std::span<uint8_t> out) const {
    if (out.size() < kHeaderLen) return false;
    dst.write_to(out.data());
    src.write_to(out.data() + 6);
    core::store_be16(out.data() + 12, static_cast<uint16_t>(ethertype));
    return true;
  }

  friend bool operator==(const EthernetRepr&, const EthernetRepr&) = default;
};

}  // namespace wsgate::net
