#include "tcp/tcp_wire.hpp"

#include <algorithm>

#include "core/byte_order.hpp"

namespace wsgate::tcp {

using core::load_be16;
using core::load_be32;
using core::store_be16;
using core::store_be32;

std::optional<TcpPacket> TcpPacket::check(std::span<const uint8_t> buf, WireError* why) {
  auto fail = [why](WireError e) {
    if (why) *why = e;
    return std::optional<TcpPacket>{};
  };
  if (buf.size() < kTcpMinHeader) return fail(WireError::Truncated);
  const size_t hlen = size_t{static_cast<uint8_t>(buf[12] >> 4)} * 4;
  if (hlen < kTcpMinHeader) return fail(WireError::BadDataOffset);
  if (hlen > buf.size()) return fail(WireError::Truncated);
  if (why) *why = WireError::None;
  return TcpPacket(buf, hlen);
}

uint16_t TcpPacket::src_port() const { return load_be16(&buf_[0]); }
uint16_t TcpPacket::dst_port() const { return load_be16(&buf_[2]); }
uint32_t TcpPacket::seq() const { return load_be32(&buf_[4]); }
uint32_t TcpPacket::ack() const { return load_be32(&buf_[8]); }
uint16_t TcpPacket::window() const { return load_be16(&buf_[14]); }
uint16_t TcpPacket::checksum() const { return load_be16(&buf_[16]); }
uint16_t TcpPacket::urgent() const { return load_be16(&buf_[18]); }

WireError parse(const TcpPacket& pkt, TcpRepr* out) {
  TcpRepr r;
  r.src_port = pkt.src_port();
  r.dst_port = pkt.dst_port();
  r.seq = pkt.seq();
  r.ack = pkt.ack();
  r.flags = pkt.flags();
  r.window = pkt.window();
  const auto o = pkt.options();
  size_t i = 0;
  while (i < o.size()) {
    const uint8_t kind = o[i];
    if (kind == opt::kEnd) break;
    if (kind == opt::kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= o.size()) return WireError::BadOptions;
    const uint8_t len = o[i + 1];
    if (len < 2 || i + len > o.size()) return WireError::BadOptions;
    const uint8_t* v = &o[i + 2];
    switch (kind) {
      case opt::kMss:
        if (len == 4) r.mss = load_be16(v);
        break;
      case opt::kWindowScale:
        if (len == 3) r.wscale = static_cast<int8_t>(std::min<uint8_t>(v[0], opt::kMaxWindowScale));
        break;
      case opt::kSackPermitted:
        if (len == 2) r.sack_permitted = true;
        break;
      case opt::kTimestamp:
        if (len == 10) {
          r.has_timestamp = true;
          r.ts_val = load_be32(v);
          r.ts_ecr = load_be32(v + 4);
        }
        break;
      default:
        break;  // unknown: skipped by its length
    }
    i += len;
  }
  *out = r;
  return WireError::None;
}

size_t header_len(const TcpRepr& r) {
  size_t n = kTcpMinHeader;
  if (r.mss != 0) n += 4;
  if (r.has_timestamp) n += 12;
  if (r.sack_permitted) n += 4;
  if (r.wscale >= 0) n += 4;
  return n;
}

size_t emit(const TcpRepr& r, std::span<uint8_t> buf) {
  const size_t hlen = header_len(r);
  if (buf.size() < hlen) return 0;
  uint8_t* p = buf.data();
  store_be16(p + 0, r.src_port);
  store_be16(p + 2, r.dst_port);
  store_be32(p + 4, r.seq);
  store_be32(p + 8, r.ack);
  p[12] = static_cast<uint8_t>((hlen / 4) << 4);
  p[13] = r.flags;
  store_be16(p + 14, r.window);
  store_be16(p + 16, 0);
  store_be16(p + 18, 0);
  uint8_t* q = p + kTcpMinHeader;
  if (r.mss != 0) {
    q[0] = opt::kMss;
    q[1] = 4;
    store_be16(q + 2, r.mss);
    q += 4;
  }
  if (r.has_timestamp) {
    q[0] = opt::kNop;
    q[1] = opt::kNop;
    q[2] = opt::kTimestamp;
    q[3] = 10;
    store_be32(q + 4, r.ts_val);
    store_be32(q + 8, r.ts_ecr);
    q += 12;
  }
  if (r.sack_permitted) {
    q[0] = opt::kNop;
    q[1] = opt::kNop;
    q[2] = opt::kSackPermitted;
    q[3] = 2;
    q += 4;
  }
  if (r.wscale >= 0) {
    q[0] = opt::kNop;
    q[1] = opt::kWindowScale;
    q[2] = 3;
    q[3] = static_cast<uint8_t>(r.wscale);
    q += 4;
  }
  return hlen;
}

}  // namespace wsgate::tcp
