#include "net/arp.hpp"

namespace wsgate::net {

namespace {
constexpr uint16_t kHtypeEthernet = 1;
constexpr uint16_t kPtypeIpv4 = 0x0800;
constexpr uint8_t kHlenEthernet = 6;
constexpr uint8_t kPlenIpv4 = 4;
}  // namespace

std::string_view error_name(ArpError e) {
  switch (e) {
    case ArpError::none: return "none";
    case ArpError::truncated: return "truncated";
    case ArpError::unsupported_format: return "unsupported_format";
    case ArpError::bad_operation: return "bad_operation";
  }
  return "unknown";
}

Checked<ArpPacket, ArpError> ArpPacket::check(std::span<const uint8_t> bytes) {
  using R = Checked<ArpPacket, ArpError>;
  if (bytes.size() < kLen) return R::fail(ArpError::truncated);
  const uint8_t* p = bytes.data();
  if (core::load_be16(p) != kHtypeEthernet || core::load_be16(p + 2) != kPtypeIpv4 ||
      p[4] != kHlenEthernet || p[5] != kPlenIpv4) {
    return R::fail(ArpError::unsupported_format);
  }
  const uint16_t op = core::load_be16(p + 6);
  if (op != static_cast<uint16_t>(ArpOp::Request) && op != static_cast<uint16_t>(ArpOp::Reply)) {
    return R::fail(ArpError::bad_operation);
  }
  return R::ok(ArpPacket(bytes.first(kLen)));
}

ArpRepr ArpRepr::parse(const ArpPacket& packet) {
  return ArpRepr{packet.op(), packet.sender_mac(), packet.sender_ip(), packet.target_mac(),
                 packet.target_ip()};
}

bool ArpRepr::emit(std::span<uint8_t> out) const {
  if (out.size() < kLen) return false;
  uint8_t* p = out.data();
  core::store_be16(p, kHtypeEthernet);
  core::store_be16(p + 2, kPtypeIpv4);
  p[4] = kHlenEthernet;
  p[5] = kPlenIpv4;
  core::store_be16(p + 6, static_cast<uint16_t>(op));
  sender_mac.write_to(p + 8);
  core::store_be32(p + 14, sender_ip);
  target_mac.write_to(p + 18);
  core::store_be32(p + 24, target_ip);
  return true;
}

ArpRepr ArpRepr::request(const MacAddr& our_mac, uint32_t our_ip, uint32_t target_ip) {
  return ArpRepr{ArpOp::Request, our_mac, our_ip, MacAddr{}, target_ip};
}

ArpRepr ArpRepr::reply_to(const ArpRepr& request, const MacAddr& our_mac, uint32_t our_ip) {
  return ArpRepr{ArpOp::Reply, our_mac, our_ip, request.sender_mac, request.sender_ip};
}

}  // namespace wsgate::net
