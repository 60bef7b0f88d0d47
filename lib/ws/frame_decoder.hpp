// Incremental decoder for client-to-server frames (RFC 6455 section 5). It
// accepts input split at any byte and keeps its whole state in this small,
// trivially copyable object, so the app can keep it on the stack while a call
// completes whole frames and park it in a pool block only when a frame or a
// fragmented message spans on_data calls.
//
// Data reaches the sink in one of two ways, and never before it is known to
// be valid:
//   - direct: an unfragmented message (or the final frame of a message whose
//     earlier fragments were all empty) whose whole payload is in the input
//     of this feed() call. The decoder validates all of it first (UTF-8 for
//     text), then hands it out unmasked in pieces (on_direct_start, then
//     on_direct_data limited by direct_room). If the sink runs out of room
//     mid-frame the rest stays unconsumed and the next call continues the
//     same frame without validating again.
//   - assembled: anything else (a fragmented message, a frame cut across
//     calls). Each piece is validated as it arrives (so bad UTF-8 fails on the
//     byte that makes it bad) and handed to on_message_data for the sink to
//     keep until the piece with end set.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "ws/frame_header.hpp"

namespace wsgate::ws {

struct FrameDecoderConfig {
  uint64_t max_message_bytes = 1 << 20;  // over it: close 1009
  uint8_t allowed_rsv = 0;               // RSV bits (0x70) a negotiated extension allows
};

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // Whether `bytes` bytes of output (a control reply) fit now.
  virtual bool has_room(size_t bytes) = 0;
  // True while the sink is still writing earlier output (an assembled message
  // that did not fit the send space): nothing that produces output or more
  // message data is decoded until it clears.
  virtual bool busy() { return false; }

  // Direct path. on_direct_start: a validated message of `len` bytes follows
  // at once; false when its header cannot go out now (the decoder blocks).
  virtual bool on_direct_start(Opcode type, uint64_t len) = 0;
  // How many of `want` payload bytes of the direct message fit now (0..want).
  virtual size_t direct_room(size_t want) = 0;
  virtual void on_direct_data(std::span<const uint8_t> bytes) = 0;

  // Assembled path: a validated piece of the current message. begin: first
  // piece; end: last piece (both may hold at once; bytes may be empty only
  // for an empty final piece). False: the sink has nowhere to keep it (the
  // decoder fails the connection with 1013).
  virtual bool on_message_data(Opcode type, std::span<const uint8_t> bytes, bool begin, bool end) = 0;

  virtual void on_ping(std::span<const uint8_t> payload) = 0;
  virtual void on_pong(std::span<const uint8_t> payload) = 0;
  // A valid Close: code 0 when the frame had no payload.
  virtual void on_close(uint16_t code, std::span<const uint8_t> reason) = 0;
};

enum class DecodeStatus : uint8_t {
  Ok,       // all input consumed
  Blocked,  // the sink had no room (or was busy); input after `consumed` is still to be fed
  Closed,   // a valid Close frame arrived (consumed ends after it)
  Error,    // protocol violation: close with close_code
};

struct DecodeResult {
  size_t consumed = 0;
  DecodeStatus status = DecodeStatus::Ok;
  uint16_t close_code = 0;
  uint32_t frames = 0;  // frames completed during this call
};

class FrameDecoder {
 public:
  DecodeResult feed(const FrameDecoderConfig& cfg, std::span<const uint8_t> in, FrameSink& sink);

  // Between frames with no message open: nothing worth keeping.
  bool idle() const { return header_len_ == 0 && !in_payload_ && message_opcode_ == 0; }
  // In the middle of writing a direct frame: no other output may go out now.
  bool mid_direct() const { return direct_; }

 private:
  size_t header_need() const;
  uint16_t check_first_byte(uint8_t b, uint8_t allowed_rsv) const;
  uint16_t check_second_byte(uint8_t b) const;
  static size_t reply_size(uint8_t opcode, uint64_t payload_len);
  void start_frame(uint64_t payload_len);
  void finish_data_frame();
  DecodeStatus finish_control_frame(FrameSink& sink, uint16_t* close_code);

  uint64_t remaining_ = 0;      // payload bytes of the current frame still to come
  uint64_t message_bytes_ = 0;  // data bytes of the open message so far
  uint8_t header_[14] = {};
  uint8_t header_len_ = 0;
  uint8_t mask_[4] = {};
  uint8_t mask_phase_ = 0;      // payload offset mod 4
  uint8_t opcode_ = 0;
  bool fin_ = false;
  bool in_payload_ = false;
  uint8_t message_opcode_ = 0;  // Text/Binary while a message is open, else 0
  bool message_begun_ = false;  // the sink has seen the message's first piece
  bool direct_ = false;         // the current frame is validated and its header is out (direct path)
  uint8_t utf8_ = 0;            // the open text message's validator state
  uint8_t control_len_ = 0;
  uint8_t control_[kMaxControlPayload] = {};
};

}  // namespace wsgate::ws
