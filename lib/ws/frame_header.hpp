// Frame layout constants (RFC 6455 section 5.2) and the server-side header
// encoder: servers never mask, and we always use the minimal length form.
#pragma once
#include <cstddef>
#include <cstdint>

namespace wsgate::ws {

enum class Opcode : uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

constexpr bool is_control(uint8_t opcode) { return (opcode & 0x8) != 0; }
constexpr bool is_known_opcode(uint8_t opcode) {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
}

inline constexpr size_t kMaxServerHeaderBytes = 10;
inline constexpr size_t kMaxControlPayload = 125;

constexpr size_t server_header_size(uint64_t payload_len) {
  return payload_len <= 125 ? 2 : payload_len <= 0xFFFF ? 4 : 10;
}

// Writes an unmasked header; returns its size (2, 4 or 10).
inline size_t encode_server_header(uint8_t* out, Opcode opcode, bool fin, uint64_t payload_len) {
  out[0] = static_cast<uint8_t>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(opcode));
  if (payload_len <= 125) {
    out[1] = static_cast<uint8_t>(payload_len);
    return 2;
  }
  if (payload_len <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payload_len >> 8);
    out[3] = static_cast<uint8_t>(payload_len);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_len >> (56 - 8 * i));
  return 10;
}

}  // namespace wsgate::ws
