#include "ws/frame_decoder.hpp"

#include <algorithm>

#include "ws/close_code.hpp"
#include "ws/utf8_validator.hpp"

namespace wsgate::ws {

namespace {

// Data is unmasked into this stack buffer on its way to the sink (and to
// validate a direct message before any of it goes out); it bounds the size of
// one delivered piece.
constexpr size_t kScratchBytes = 8192;

void unmask(const uint8_t* in, uint8_t* out, size_t n, const uint8_t mask[4], uint8_t phase) {
  for (size_t i = 0; i < n; ++i) out[i] = in[i] ^ mask[(phase + i) & 3];
}

}  // namespace

size_t FrameDecoder::header_need() const {
  const uint8_t len7 = header_[1] & 0x7F;
  const size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  return 2 + ext + 4;  // the mask bit was checked on byte 2: client frames always carry a key
}

uint16_t FrameDecoder::check_first_byte(uint8_t b, uint8_t allowed_rsv) const {
  const uint8_t opcode = b & 0x0F;
  if ((b & 0x70 & ~allowed_rsv) != 0) return kCloseProtocolError;
  if (!is_known_opcode(opcode)) return kCloseProtocolError;
  if (is_control(opcode)) return (b & 0x80) ? 0 : kCloseProtocolError;  // control frames are never fragmented
  if (opcode == static_cast<uint8_t>(Opcode::Continuation)) return message_opcode_ != 0 ? 0 : kCloseProtocolError;
  return message_opcode_ == 0 ? 0 : kCloseProtocolError;  // a new message inside a fragmented one
}

uint16_t FrameDecoder::check_second_byte(uint8_t b) const {
  if ((b & 0x80) == 0) return kCloseProtocolError;  // client frames must be masked (5.1)
  if (is_control(header_[0] & 0x0F) && (b & 0x7F) > kMaxControlPayload) return kCloseProtocolError;
  return 0;
}

size_t FrameDecoder::reply_size(uint8_t opcode, uint64_t payload_len) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::Ping: return 2 + payload_len;
    case Opcode::Close: return 4;
    default: return 0;  // pongs are not answered
  }
}

void FrameDecoder::start_frame(uint64_t payload_len) {
  opcode_ = header_[0] & 0x0F;
  fin_ = (header_[0] & 0x80) != 0;
  remaining_ = payload_len;
  mask_phase_ = 0;
  control_len_ = 0;
  const size_t key_at = header_need() - 4;
  for (int i = 0; i < 4; ++i) mask_[i] = header_[key_at + i];
  if (opcode_ == static_cast<uint8_t>(Opcode::Text) || opcode_ == static_cast<uint8_t>(Opcode::Binary)) {
    message_opcode_ = opcode_;
    message_begun_ = false;
    message_bytes_ = 0;
    utf8_ = kUtf8Accept;
  }
}

void FrameDecoder::finish_data_frame() {
  in_payload_ = false;
  header_len_ = 0;
  if (fin_) {
    message_opcode_ = 0;
    message_begun_ = false;
    message_bytes_ = 0;
  }
}

DecodeStatus FrameDecoder::finish_control_frame(FrameSink& sink, uint16_t* close_code) {
  in_payload_ = false;
  header_len_ = 0;
  const std::span<const uint8_t> payload(control_, control_len_);
  switch (static_cast<Opcode>(opcode_)) {
    case Opcode::Ping:
      sink.on_ping(payload);
      return DecodeStatus::Ok;
    case Opcode::Pong:
      sink.on_pong(payload);
      return DecodeStatus::Ok;
    default:
      break;
  }
  // Close (5.5.1, 7.4): no payload, or a 2-byte valid code and a UTF-8 reason.
  if (control_len_ == 0) {
    sink.on_close(0, {});
    return DecodeStatus::Closed;
  }
  if (control_len_ == 1) {
    *close_code = kCloseProtocolError;
    return DecodeStatus::Error;
  }
  const auto code = static_cast<uint16_t>((control_[0] << 8) | control_[1]);
  if (!close_code_valid_on_wire(code)) {
    *close_code = kCloseProtocolError;
    return DecodeStatus::Error;
  }
  const std::span<const uint8_t> reason = payload.subspan(2);
  if (utf8_validate(kUtf8Accept, reason) != kUtf8Accept) {
    *close_code = kCloseInvalidPayload;
    return DecodeStatus::Error;
  }
  sink.on_close(code, reason);
  return DecodeStatus::Closed;
}

DecodeResult FrameDecoder::feed(const FrameDecoderConfig& cfg, std::span<const uint8_t> in, FrameSink& sink) {
  DecodeResult r;
  size_t pos = 0;
  auto fail = [&](uint16_t code) {
    r.consumed = pos;
    r.status = DecodeStatus::Error;
    r.close_code = code;
    return r;
  };
  auto block = [&]() {
    r.consumed = pos;
    r.status = DecodeStatus::Blocked;
    return r;
  };

  while (pos < in.size()) {
    if (!in_payload_) {
      const uint8_t b = in[pos];
      header_[header_len_] = b;
      const size_t have = header_len_ + 1u;
      if (have == 1) {
        if (const uint16_t e = check_first_byte(b, cfg.allowed_rsv)) return fail(e);
      } else if (have == 2) {
        if (const uint16_t e = check_second_byte(b)) return fail(e);
      }
      if (have < 2 || have < header_need()) {
        header_len_ = static_cast<uint8_t>(have);
        ++pos;
        continue;
      }
      // Header complete with this byte.
      const uint8_t len7 = header_[1] & 0x7F;
      uint64_t payload_len = len7;
      if (len7 == 126) {
        payload_len = (uint64_t{header_[2]} << 8) | header_[3];
      } else if (len7 == 127) {
        payload_len = 0;
        for (int i = 0; i < 8; ++i) payload_len = (payload_len << 8) | header_[2 + i];
        if (payload_len >> 63) return fail(kCloseProtocolError);
      }
      const uint8_t opcode = header_[0] & 0x0F;
      if (!is_control(opcode)) {
        const uint64_t so_far = opcode == static_cast<uint8_t>(Opcode::Continuation) ? message_bytes_ : 0;
        if (payload_len > cfg.max_message_bytes || so_far > cfg.max_message_bytes - payload_len) {
          return fail(kCloseMessageTooBig);
        }
      }
      bool empty_final_assembled = false;  // an empty frame that ends an assembled message
      if (payload_len == 0) {
        // The frame completes on this byte: only take it if its output fits.
        const bool fin = (header_[0] & 0x80) != 0;
        if (is_control(opcode)) {
          const size_t need = reply_size(opcode, 0);
          if (need != 0 && (sink.busy() || !sink.has_room(need))) return block();
        } else if (fin) {
          const bool cont = opcode == static_cast<uint8_t>(Opcode::Continuation);
          const uint8_t type = cont ? message_opcode_ : opcode;
          if (cont && type == static_cast<uint8_t>(Opcode::Text) && utf8_ != kUtf8Accept) {
            return fail(kCloseInvalidPayload);
          }
          empty_final_assembled = cont && message_begun_;
          if (sink.busy()) return block();
          // Nothing of this message went anywhere yet: it is whole (and empty) here.
          if (!empty_final_assembled && !sink.on_direct_start(static_cast<Opcode>(type), 0)) return block();
        }
      }
      header_len_ = static_cast<uint8_t>(have);
      ++pos;
      start_frame(payload_len);
      in_payload_ = true;
      if (payload_len != 0) continue;
      // Empty payload: complete the frame now.
      ++r.frames;
      if (is_control(opcode_)) {
        uint16_t code = 0;
        const DecodeStatus s = finish_control_frame(sink, &code);
        if (s == DecodeStatus::Error) return fail(code);
        if (s == DecodeStatus::Closed) {
          r.consumed = pos;
          r.status = s;
          return r;
        }
        continue;
      }
      if (empty_final_assembled &&
          !sink.on_message_data(static_cast<Opcode>(message_opcode_), {}, false, true)) {
        return fail(kCloseTryAgainLater);
      }
      finish_data_frame();
      // The sink is still writing that message: decode nothing more (not even
      // a header that could fail the connection with a Close mid-frame).
      if (empty_final_assembled && sink.busy()) return block();
      continue;
    }

    const size_t avail = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - pos));
    if (is_control(opcode_)) {
      size_t take = avail;
      bool blocked = false;
      if (take == remaining_ && (sink.busy() || !sink.has_room(reply_size(opcode_, control_len_ + take)))) {
        --take;  // keep the frame's last byte unconsumed until the reply fits
        blocked = true;
      }
      unmask(in.data() + pos, control_ + control_len_, take, mask_, mask_phase_);
      control_len_ = static_cast<uint8_t>(control_len_ + take);
      mask_phase_ = static_cast<uint8_t>((mask_phase_ + take) & 3);
      remaining_ -= take;
      pos += take;
      if (blocked) return block();
      if (remaining_ == 0) {
        ++r.frames;
        uint16_t code = 0;
        const DecodeStatus s = finish_control_frame(sink, &code);
        if (s == DecodeStatus::Error) return fail(code);
        if (s == DecodeStatus::Closed) {
          r.consumed = pos;
          r.status = s;
          return r;
        }
      }
      continue;
    }

    uint8_t scratch[kScratchBytes];
    const bool text = message_opcode_ == static_cast<uint8_t>(Opcode::Text);
    const auto type = static_cast<Opcode>(message_opcode_);
    if (!direct_ && !message_begun_ && fin_ && avail == remaining_) {
      // The whole message is in this input: validate all of it before any of
      // it goes out, then echo it straight from here.
      if (text) {
        uint8_t utf8 = utf8_;
        for (size_t off = 0; off < avail; off += kScratchBytes) {
          const size_t n = std::min(kScratchBytes, avail - off);
          unmask(in.data() + pos + off, scratch, n, mask_, static_cast<uint8_t>((mask_phase_ + off) & 3));
          utf8 = utf8_validate(utf8, std::span<const uint8_t>(scratch, n));
          if (utf8 == kUtf8Reject) {
            pos += off;
            return fail(kCloseInvalidPayload);
          }
        }
        if (utf8 != kUtf8Accept) return fail(kCloseInvalidPayload);
      }
      if (sink.busy() || !sink.on_direct_start(type, remaining_)) return block();
      direct_ = true;
      message_begun_ = true;
      utf8_ = kUtf8Accept;
    }
    if (direct_) {
      const size_t want = std::min(avail, kScratchBytes);
      const size_t take = std::min(want, sink.direct_room(want));
      if (take == 0) return block();
      unmask(in.data() + pos, scratch, take, mask_, mask_phase_);
      sink.on_direct_data(std::span<const uint8_t>(scratch, take));
      mask_phase_ = static_cast<uint8_t>((mask_phase_ + take) & 3);
      remaining_ -= take;
      message_bytes_ += take;
      pos += take;
      if (remaining_ == 0) {
        ++r.frames;
        direct_ = false;
        finish_data_frame();
      }
      continue;
    }

    if (sink.busy()) return block();
    const size_t take = std::min(avail, kScratchBytes);
    unmask(in.data() + pos, scratch, take, mask_, mask_phase_);
    const std::span<const uint8_t> piece(scratch, take);
    uint8_t utf8 = utf8_;
    if (text) {
      utf8 = utf8_validate(utf8, piece);
      if (utf8 == kUtf8Reject) return fail(kCloseInvalidPayload);
    }
    const bool end = take == remaining_ && fin_;
    if (end && text && utf8 != kUtf8Accept) return fail(kCloseInvalidPayload);
    utf8_ = utf8;
    mask_phase_ = static_cast<uint8_t>((mask_phase_ + take) & 3);
    remaining_ -= take;
    message_bytes_ += take;
    pos += take;
    if (!sink.on_message_data(type, piece, !message_begun_, end)) return fail(kCloseTryAgainLater);
    message_begun_ = true;
    if (remaining_ == 0) {
      ++r.frames;
      finish_data_frame();
    }
    if (end && sink.busy()) return block();
  }
  r.consumed = pos;
  return r;
}

}  // namespace wsgate::ws
