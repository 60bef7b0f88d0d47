#include "net/icmp.hpp"

#include <cstring>

#include "net/checksum.hpp"

namespace wsgate::net {

std::string_view error_name(IcmpError e) {
  switch (e) {
    case IcmpError::none: return "none";
    case IcmpError::truncated: return "truncated";
    case IcmpError::bad_checksum: return "bad_checksum";
    case IcmpError::unsupported_type: return "unsupported_type";
  }
  return "unknown";
}

Checked<IcmpPacket, IcmpError> IcmpPacket::check(std::span<const uint8_t> bytes) {
  using R = Checked<IcmpPacket, IcmpError>;
  if (bytes.size() < kHeaderLen) return R::fail(IcmpError::truncated);
  IcmpPacket packet(bytes);
  if (!packet.verify_checksum()) return R::fail(IcmpError::bad_checksum);
  return R::ok(packet);
}

bool IcmpPacket::verify_checksum() const { return checksum_fold(checksum_add(bytes_)) == 0; }

Checked<IcmpRepr, IcmpError> IcmpRepr::parse(const IcmpPacket& packet) {
  using R = Checked<IcmpRepr, IcmpError>;
  if (packet.type() != IcmpType::EchoRequest && packet.type() != IcmpType::EchoReply) {
    return R::fail(IcmpError::unsupported_type);
  }
  return R::ok(IcmpRepr{packet.type(), packet.code(), packet.echo_id(), packet.echo_seq(),
                        packet.payload()});
}

bool IcmpRepr::emit(std::span<uint8_t> out) const {
  if (out.size() < buffer_len()) return false;
  uint8_t* p = out.data();
  // Payload first: it may live in `out` (a reply written over its request).
  if (!payload.empty()) std::memmove(p + IcmpPacket::kHeaderLen, payload.data(), payload.size());
  p[0] = static_cast<uint8_t>(type);
  p[1] = code;
  core::store_be16(p + 2, 0);
  core::store_be16(p + 4, id);
  core::store_be16(p + 6, seq);
  core::store_be16(p + 2, checksum_fold(checksum_add(out.first(buffer_len()))));
  return true;
}

size_t write_echo_reply(const IcmpPacket& request, std::span<uint8_t> out) {
  if (request.type() != IcmpType::EchoRequest) return 0;
  auto parsed = IcmpRepr::parse(request);
  if (!parsed) return 0;
  const IcmpRepr reply = parsed->echo_reply();
  if (!reply.emit(out)) return 0;
  return reply.buffer_len();
}

}  // namespace wsgate::net
