#include "net/ipv4.hpp"

#include "net/checksum.hpp"

namespace wsgate::net {

std::string_view error_name(Ipv4Error e) {
  switch (e) {
    case Ipv4Error::none: return "none";
    case Ipv4Error::truncated: return "truncated";
    case Ipv4Error::bad_version: return "bad_version";
    case Ipv4Error::bad_header_length: return "bad_header_length";
    case Ipv4Error::bad_total_length: return "bad_total_length";
    case Ipv4Error::bad_checksum: return "bad_checksum";
    case Ipv4Error::fragment: return "fragment";
  }
  return "unknown";
}

Checked<Ipv4Packet, Ipv4Error> Ipv4Packet::check(std::span<const uint8_t> bytes) {
  using R = Checked<Ipv4Packet, Ipv4Error>;
  if (bytes.size() < kMinHeaderLen) return R::fail(Ipv4Error::truncated);
  const uint8_t* p = bytes.data();
  if ((p[0] >> 4) != 4) return R::fail(Ipv4Error::bad_version);
  const size_t header_len = size_t{p[0] & 0x0fu} * 4;
  if (header_len < kMinHeaderLen) return R::fail(Ipv4Error::bad_header_length);
  if (bytes.size() < header_len) return R::fail(Ipv4Error::truncated);
  const size_t total_len = core::load_be16(p + 2);
  if (total_len < header_len || total_len > bytes.size()) return R::fail(Ipv4Error::bad_total_length);
  return R::ok(Ipv4Packet(bytes.first(total_len)));
}

Checked<Ipv4Packet, Ipv4Error> Ipv4Packet::check_for_host(std::span<const uint8_t> bytes,
                                                          bool checksum_verified_by_nic) {
  using R = Checked<Ipv4Packet, Ipv4Error>;
  auto checked = check(bytes);
  if (!checked) return checked;
  if (!checksum_verified_by_nic && !checked->verify_checksum()) return R::fail(Ipv4Error::bad_checksum);
  if (checked->is_fragment()) return R::fail(Ipv4Error::fragment);
  return checked;
}

bool Ipv4Packet::verify_checksum() const { return checksum_fold(checksum_add(header())) == 0; }

Ipv4Repr Ipv4Repr::parse(const Ipv4Packet& packet) {
  Ipv4Repr r;
  r.src = packet.src();
  r.dst = packet.dst();
  r.protocol = packet.protocol();
  r.ttl = packet.ttl();
  r.tos = packet.tos();
  r.id = packet.id();
  r.dont_fragment = packet.dont_fragment();
  r.payload_len = static_cast<uint16_t>(packet.total_len() - packet.header_len());
  return r;
}

bool Ipv4Repr::emit(std::span<uint8_t> out, bool fill_checksum) const {
  if (out.size() < kHeaderLen || payload_len > 0xffff - kHeaderLen) return false;
  uint8_t* p = out.data();
  p[0] = 0x45;  // version 4, IHL 5
  p[1] = tos;
  core::store_be16(p + 2, total_len());
  core::store_be16(p + 4, id);
  core::store_be16(p + 6, dont_fragment ? 0x4000 : 0);
  p[8] = ttl;
  p[9] = protocol;
  core::store_be16(p + 10, 0);
  core::store_be32(p + 12, src);
  core::store_be32(p + 16, dst);
  if (fill_checksum) core::store_be16(p + 10, checksum_fold(checksum_add(out.first(kHeaderLen))));
  return true;
}

}  // namespace wsgate::net
