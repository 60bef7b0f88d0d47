// Test helpers: masked client frames in, server frames out.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace wsgate::ws::test {

using Bytes = std::vector<uint8_t>;

inline Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A client frame. len_form forces the length encoding (7, 16 or 64 bits) to
// test non-minimal encodings; 0 = minimal.
inline Bytes client_frame(uint8_t first_byte, const Bytes& payload, bool masked = true, int len_form = 0,
                          uint32_t mask_key = 0x37fa213d) {
  Bytes f{first_byte};
  const uint8_t mask_bit = masked ? 0x80 : 0x00;
  const size_t n = payload.size();
  if (len_form == 0) len_form = n <= 125 ? 7 : n <= 0xFFFF ? 16 : 64;
  if (len_form == 7) {
    f.push_back(static_cast<uint8_t>(mask_bit | n));
  } else if (len_form == 16) {
    f.push_back(mask_bit | 126);
    f.push_back(static_cast<uint8_t>(n >> 8));
    f.push_back(static_cast<uint8_t>(n));
  } else {
    f.push_back(mask_bit | 127);
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<uint8_t>(uint64_t{n} >> (8 * i)));
  }
  const uint8_t key[4] = {static_cast<uint8_t>(mask_key >> 24), static_cast<uint8_t>(mask_key >> 16),
                          static_cast<uint8_t>(mask_key >> 8), static_cast<uint8_t>(mask_key)};
  if (masked) f.insert(f.end(), key, key + 4);
  for (size_t i = 0; i < n; ++i) f.push_back(masked ? payload[i] ^ key[i & 3] : payload[i]);
  return f;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const Bytes& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

struct ServerFrame {
  uint8_t opcode = 0;
  bool fin = false;
  Bytes payload;
};

// Parses unmasked server frames; sets *ok false on anything malformed or
// masked, or a trailing partial frame.
inline std::vector<ServerFrame> parse_server_frames(const Bytes& out, bool* ok) {
  std::vector<ServerFrame> frames;
  size_t i = 0;
  *ok = true;
  while (i < out.size()) {
    if (out.size() - i < 2) { *ok = false; break; }
    ServerFrame f;
    f.fin = (out[i] & 0x80) != 0;
    f.opcode = out[i] & 0x0F;
    if ((out[i] & 0x70) != 0 || (out[i + 1] & 0x80) != 0) { *ok = false; break; }
    uint64_t len = out[i + 1] & 0x7F;
    size_t h = 2;
    if (len == 126) {
      if (out.size() - i < 4) { *ok = false; break; }
      len = (uint64_t{out[i + 2]} << 8) | out[i + 3];
      if (len < 126) *ok = false;  // servers must encode minimally
      h = 4;
    } else if (len == 127) {
      if (out.size() - i < 10) { *ok = false; break; }
      len = 0;
      for (int k = 0; k < 8; ++k) len = (len << 8) | out[i + 2 + k];
      if (len <= 0xFFFF) *ok = false;
      h = 10;
    }
    if (out.size() - i - h < len) { *ok = false; break; }
    f.payload.assign(out.begin() + static_cast<long>(i + h), out.begin() + static_cast<long>(i + h + len));
    frames.push_back(std::move(f));
    i += h + len;
  }
  return frames;
}

struct Message {
  uint8_t opcode = 0;  // 1 text, 2 binary, or a control opcode
  Bytes payload;
};

// Joins data fragments into messages; control frames are their own messages.
inline std::vector<Message> join_messages(const std::vector<ServerFrame>& frames, bool* ok) {
  std::vector<Message> messages;
  bool open = false;
  Message current;
  for (const ServerFrame& f : frames) {
    if (f.opcode & 0x8) {
      messages.push_back({f.opcode, f.payload});
      continue;
    }
    if (f.opcode == 0) {
      if (!open) *ok = false;
    } else {
      if (open) *ok = false;
      current = {f.opcode, {}};
      open = true;
    }
    current.payload.insert(current.payload.end(), f.payload.begin(), f.payload.end());
    if (f.fin) {
      messages.push_back(current);
      open = false;
    }
  }
  if (open) *ok = false;
  return messages;
}

}  // namespace wsgate::ws::test
