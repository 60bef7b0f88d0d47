// TCP header as a parsed value (the smoltcp "Repr" half). The zero-copy view
// that checks lengths once and parses/emits this lives in tcp_wire.hpp.
#pragma once
#include <cstdint>

namespace wsgate::tcp {

namespace flag {
inline constexpr uint8_t FIN = 0x01;
inline constexpr uint8_t SYN = 0x02;
inline constexpr uint8_t RST = 0x04;
inline constexpr uint8_t PSH = 0x08;
inline constexpr uint8_t ACK = 0x10;
inline constexpr uint8_t URG = 0x20;
inline constexpr uint8_t ECE = 0x40;
inline constexpr uint8_t CWR = 0x80;
}  // namespace flag

struct TcpRepr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;  // raw 16-bit field, before scaling
  // Options (RFC 9293 MSS, RFC 7323 WS and TS, RFC 2018 SACK-permitted).
  uint16_t mss = 0;         // 0 = absent
  int8_t wscale = -1;       // -1 = absent, else shift count (capped at 14 on parse)
  bool sack_permitted = false;
  bool has_timestamp = false;
  uint32_t ts_val = 0;
  uint32_t ts_ecr = 0;

  bool has(uint8_t f) const { return (flags & f) != 0; }
};

}  // namespace wsgate::tcp
