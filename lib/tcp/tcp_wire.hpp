// The TCP header on the wire (the smoltcp "Packet" half): a zero-copy view
// whose length checks are done once in check(), so no accessor can read past
// the buffer, plus parse() into a TcpRepr and emit() from one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "tcp/tcp_repr.hpp"

namespace wsgate::tcp {

enum class WireError : uint8_t {
  None,
  Truncated,      // buffer shorter than 20 bytes or than the data offset
  BadDataOffset,  // data offset < 5 words
  BadOptions,     // option length 0/1 or running past the header
};

namespace opt {
inline constexpr uint8_t kEnd = 0;
inline constexpr uint8_t kNop = 1;
inline constexpr uint8_t kMss = 2;
inline constexpr uint8_t kWindowScale = 3;
inline constexpr uint8_t kSackPermitted = 4;
inline constexpr uint8_t kTimestamp = 8;
inline constexpr int8_t kMaxWindowScale = 14;  // RFC 7323 2.3
}  // namespace opt

inline constexpr size_t kTcpMinHeader = 20;

class TcpPacket {
 public:
  // The only way to get a view: validates the data offset against the buffer.
  static std::optional<TcpPacket> check(std::span<const uint8_t> buf, WireError* why = nullptr);

  uint16_t src_port() const;
  uint16_t dst_port() const;
  uint32_t seq() const;
  uint32_t ack() const;
  size_t header_len() const { return header_len_; }
  uint8_t flags() const { return buf_[13]; }
  uint16_t window() const;
  uint16_t checksum() const;
  uint16_t urgent() const;
  std::span<const uint8_t> options() const { return buf_.subspan(kTcpMinHeader, header_len_ - kTcpMinHeader); }
  std::span<const uint8_t> payload() const { return buf_.subspan(header_len_); }

 private:
  TcpPacket(std::span<const uint8_t> buf, size_t header_len) : buf_(buf), header_len_(header_len) {}
  std::span<const uint8_t> buf_;
  size_t header_len_;
};

// Fills *out from the header and its options. Unknown options are skipped by
// their length; a window scale above 14 is capped (RFC 7323 2.3).
WireError parse(const TcpPacket& pkt, TcpRepr* out);

// Header bytes emit() writes for this repr: 20 + options padded to 4.
size_t header_len(const TcpRepr& repr);

// Writes the header with its options (checksum left zero: the caller fills
// it or offloads it). Returns the bytes written, 0 if buf is too small.
// Options are written when present in repr: MSS, NOP+NOP+TS, NOP+NOP+SACK-
// permitted, NOP+WS, so every option stays 4-byte aligned.
size_t emit(const TcpRepr& repr, std::span<uint8_t> buf);

}  // namespace wsgate::tcp
