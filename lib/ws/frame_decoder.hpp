// Incremental decoder for client-to-server frames (RFC 6455 section 5). It
// accepts input split at any byte and keeps its whole state in this small,
// trivially copyable object, so the app can keep it on the stack while a call
// completes whole frames and park it in a pool block only when a frame or a
// fragmented message spans on_data calls.
//
// Data is delivered unmasked and already validated (UTF-8 for text) in chunks;
// the sink says how much it can take, so backpressure leaves the rest of the
// input unconsumed instead of buffering it here.
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
  // How many of `want` data payload bytes can be taken now (0..want).
  virtual size_t data_room(size_t want) = 0;
  // Whether `bytes` bytes of output (a control reply, an empty final frame) fit now.
  virtual bool has_room(size_t bytes) = 0;
  // A piece of the current message. begin: first piece; end: last piece (both
  // may hold at once, bytes may be empty only for an empty final piece).
  virtual void on_message_data(Opcode type, std::span<const uint8_t> bytes, bool begin, bool end) = 0;
  virtual void on_ping(std::span<const uint8_t> payload) = 0;
  virtual void on_pong(std::span<const uint8_t> payload) = 0;
  // A valid Close: code 0 when the frame had no payload.
  virtual void on_close(uint16_t code, std::span<const uint8_t> reason) = 0;
};

enum class DecodeStatus : uint8_t {
  Ok,       // all input consumed
  Blocked,  // the sink had no room; input after `consumed` is still to be fed
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
  uint8_t utf8_ = 0;            // the open text message's validator state
  uint8_t control_len_ = 0;
  uint8_t control_[kMaxControlPayload] = {};
};

}  // namespace wsgate::ws
