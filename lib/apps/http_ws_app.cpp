#include "apps/http_ws_app.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "http/request_head.hpp"
#include "http/response.hpp"
#include "ws/close_code.hpp"
#include "ws/frame_header.hpp"

namespace wsgate::apps {

namespace {

// app_word: the connection's phase. Everything else lives in pools.
enum Phase : uint32_t {
  kHandshake = 0,  // app_index: HandshakeSlot
  kOpen = 1,       // app_index: FrameDecoder while a frame/message spans calls, else kNil
  kClosing = 2,    // our Close (or FIN) is out: input is ignored
  kHttpDone = 3,   // an HTTP response is out and the write side shut: input is ignored
};
constexpr uint32_t kPhaseMask = 0x3;
// Idle-ping sweep state (kOpen only): input arrived since the sweep's last
// visit; our idle Ping is out and nothing has arrived since.
constexpr uint32_t kActivity = 0x8;
constexpr uint32_t kPingOut = 0x10;

constexpr size_t kSmallResponseBytes = 512;

}  // namespace

// Echoes each decoder event on the same connection (see the header for the
// direct and assembled paths).
class EchoSink final : public ws::FrameSink {
 public:
  EchoSink(HttpWsApp& app, tcp::ConnId id) : app_(app), io_(*app.io_), id_(id) {}

  // A send came back short although the space was checked (the stack's
  // buffer pool ran dry): the output framing is broken, so the caller resets
  // the connection once the decoder has returned.
  bool failed() const { return failed_; }

  bool busy() override {
    const uint32_t index = io_.app_index(id_);
    return index != core::kNil && app_.frame_states_[index].msg.writing();
  }
  bool has_room(size_t bytes) override { return !failed_ && !busy() && io_.send_space(id_) >= bytes; }

  bool on_direct_start(ws::Opcode type, uint64_t len) override {
    if (failed_) return false;
    uint8_t header[ws::kMaxServerHeaderBytes];
    const size_t header_len = ws::encode_server_header(header, type, true, len);
    if (io_.send_space(id_) < header_len) return false;
    send_checked(std::span<const uint8_t>(header, header_len));
    ++app_.stats_.messages_in;
    ++app_.stats_.messages_direct;
    ++app_.stats_.frames_out;
    return true;
  }
  size_t direct_room(size_t want) override { return failed_ ? 0 : std::min(want, io_.send_space(id_)); }
  void on_direct_data(std::span<const uint8_t> bytes) override { send_checked(bytes); }

  bool on_message_data(ws::Opcode type, std::span<const uint8_t> bytes, bool begin, bool end) override {
    HttpWsApp::FrameState* st = app_.borrow_frame_state(id_);
    if (st == nullptr) return false;
    HttpWsApp::Assembly& a = st->msg;
    if (begin) a.opcode = static_cast<uint8_t>(type);
    if (!app_.append_message(a, bytes)) {
      ++app_.stats_.pool_empty_message;
      return false;
    }
    if (!end) return true;
    ++app_.stats_.messages_in;
    ++app_.stats_.messages_assembled;
    ++app_.stats_.frames_out;
    a.header_len = static_cast<uint8_t>(
        ws::encode_server_header(a.header, static_cast<ws::Opcode>(a.opcode), true, a.bytes));
    a.sent = 0;
    if (app_.write_message(id_, a) == HttpWsApp::WriteResult::Failed) failed_ = true;
    return true;
  }
  void on_ping(std::span<const uint8_t> payload) override {
    ++app_.stats_.pings_in;
    send_frame(ws::Opcode::Pong, payload);
  }
  void on_pong(std::span<const uint8_t>) override { ++app_.stats_.pongs_in; }
  void on_close(uint16_t code, std::span<const uint8_t>) override {
    ++app_.stats_.closes_in;
    // Echo the peer's status code (5.5.1); the reason is not repeated.
    const uint8_t payload[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
    send_frame(ws::Opcode::Close, std::span<const uint8_t>(payload, code == 0 ? 0 : 2));
    if (code != 0) app_.count_close_sent(code);
  }

 private:
  // The decoder asked has_room first, so the whole control frame fits.
  void send_frame(ws::Opcode opcode, std::span<const uint8_t> payload) {
    uint8_t header[ws::kMaxServerHeaderBytes];
    const size_t header_len = ws::encode_server_header(header, opcode, true, payload.size());
    send_checked(std::span<const uint8_t>(header, header_len));
    if (!payload.empty()) send_checked(payload);
    if (!failed_) ++app_.stats_.frames_out;
  }
  void send_checked(std::span<const uint8_t> bytes) {
    if (failed_) return;
    if (io_.send(id_, bytes) != bytes.size()) failed_ = true;
  }

  HttpWsApp& app_;
  ConnIo& io_;
  tcp::ConnId id_;
  bool failed_ = false;
};

bool HttpWsApp::init(ConnIo& io, const WsConfig& cfg, MetricsSource* metrics, const char** error) {
  auto fail = [&](const char* why) {
    if (error != nullptr) *error = why;
    return false;
  };
  if (io_ != nullptr) return fail("HttpWsApp: init called twice");
  if (cfg.max_header_bytes < 64) return fail("HttpWsApp: max_header_bytes below 64");
  cfg_ = cfg;
  io_ = &io;
  metrics_ = metrics;
  policy_.subprotocols = cfg_.subprotocols;
  policy_.allowed_origins = cfg_.allowed_origins;
  policy_.ws_paths = cfg_.ws_paths;
  policy_.metrics_enabled = metrics != nullptr;
  decoder_cfg_.max_message_bytes = cfg_.max_message_bytes;
  handshake_timeout_us_ = uint64_t{cfg_.handshake_timeout_ms} * 1000;
  if (!handshakes_.init(cfg_.handshake_slots)) return fail("HttpWsApp: cannot allocate handshake slots");
  if (!header_buffers_.init(cfg_.header_buffers, cfg_.max_header_bytes)) {
    return fail("HttpWsApp: cannot allocate header buffers");
  }
  if (!frame_states_.init(cfg_.frame_states)) return fail("HttpWsApp: cannot allocate frame states");
  if (cfg_.message_buffer_bytes < 256) return fail("HttpWsApp: message_buffer_bytes below 256");
  if (!message_buffers_.init(cfg_.message_buffers, cfg_.message_buffer_bytes)) {
    return fail("HttpWsApp: cannot allocate message buffers");
  }
  if (cfg_.idle_ping_ms != 0 && cfg_.conn_id_limit == 0) return fail("HttpWsApp: idle_ping_ms needs conn_id_limit");
  ping_period_us_ = uint64_t{cfg_.idle_ping_ms} * 1000;
  if (metrics != nullptr) {
    metrics_buf_.reset(new (std::nothrow) char[cfg_.metrics_buffer_bytes]);
    if (!metrics_buf_) return fail("HttpWsApp: cannot allocate the metrics buffer");
  }
  return true;
}

void HttpWsApp::poll(uint64_t now_us) {
  now_us_ = now_us;
  while (fifo_head_ != core::kNil && handshakes_[fifo_head_].started_us + handshake_timeout_us_ <= now_us) {
    const tcp::ConnId id = handshakes_[fifo_head_].conn;
    release_handshake(id);
    respond_and_close(id, 408);
  }
  if (ping_period_us_ != 0) sweep_idle(now_us);
}

// Round r visits ConnId i at round_start + i / limit * period, so every
// connection is visited once per period whatever the load, and one poll()
// does only the slice that came due since the last one.
void HttpWsApp::sweep_idle(uint64_t now_us) {
  const uint32_t limit = cfg_.conn_id_limit;
  if (!sweep_started_) {
    sweep_started_ = true;
    sweep_round_start_us_ = now_us;
    sweep_cursor_ = 0;
    return;
  }
  for (int rounds = 0; rounds < 2; ++rounds) {
    const uint64_t elapsed = now_us - sweep_round_start_us_;
    const uint32_t due = elapsed >= ping_period_us_ ? limit
                                                    : static_cast<uint32_t>(uint64_t{limit} * elapsed / ping_period_us_);
    while (sweep_cursor_ < due) visit_idle(sweep_cursor_++);
    if (sweep_cursor_ < limit) return;
    sweep_cursor_ = 0;
    sweep_round_start_us_ += ping_period_us_;
    // After a stall longer than a period, start afresh rather than racing.
    if (now_us - sweep_round_start_us_ >= ping_period_us_) sweep_round_start_us_ = now_us;
  }
}

void HttpWsApp::visit_idle(tcp::ConnId id) {
  if (!io_->is_established(id)) return;
  uint32_t& word = io_->app_word(id);
  if ((word & kPhaseMask) != kOpen) return;
  if (word & kActivity) {
    word &= ~(kActivity | kPingOut);
    return;
  }
  const uint32_t index = io_->app_index(id);
  const bool mid_output = index != core::kNil && (frame_states_[index].msg.writing() ||
                                                  frame_states_[index].decoder.mid_direct());
  if (word & kPingOut) {
    // A whole period since our Ping and not a byte back.
    ++stats_.idle_timeouts;
    if (mid_output) {
      release_frame_state(id);
      io_->app_word(id) = kClosing;
      io_->abort(id);
      return;
    }
    release_frame_state(id);
    send_close_and_shutdown(id, ws::kCloseGoingAway);
    return;
  }
  // A Ping must not land inside a frame we are still writing; try next round.
  if (mid_output) return;
  static constexpr uint8_t kPing[2] = {0x89, 0x00};
  if (!send_all(id, kPing)) return;
  ++stats_.idle_pings_sent;
  ++stats_.frames_out;
  word |= kPingOut;
}

void HttpWsApp::on_established(tcp::ConnId id) {
  io_->app_word(id) = kHandshake;
  io_->app_index(id) = core::kNil;
  const uint32_t slot = handshakes_.alloc();
  if (slot == core::kNil) {
    ++stats_.pool_empty_handshake;
    respond_and_close(id, 503);
    return;
  }
  HandshakeSlot& s = handshakes_[slot];
  s.conn = id;
  s.started_us = now_us_;
  s.prev = fifo_tail_;
  s.next = core::kNil;
  if (fifo_tail_ != core::kNil) handshakes_[fifo_tail_].next = slot;
  else fifo_head_ = slot;
  fifo_tail_ = slot;
  io_->app_index(id) = slot;
}

size_t HttpWsApp::on_data(tcp::ConnId id, std::span<const uint8_t> bytes) {
  switch (io_->app_word(id) & kPhaseMask) {
    case kHandshake: return on_handshake_data(id, bytes);
    case kOpen: return on_frame_data(id, bytes);
    default: return bytes.size();  // after our Close or response: discarded
  }
}

int HttpWsApp::oversized_head_status(std::span<const uint8_t> partial) const {
  const size_t line = http::request_line_length(partial);
  return (line == 0 || line > cfg_.max_request_line_bytes) ? 400 : 431;
}

size_t HttpWsApp::on_handshake_data(tcp::ConnId id, std::span<const uint8_t> bytes) {
  HandshakeSlot& s = handshakes_[io_->app_index(id)];
  const size_t limit = cfg_.max_header_bytes;
  if (s.header_chunk == core::kNil) {
    // Common case: the whole head is in this segment; parse it in place.
    const std::span<const uint8_t> window = bytes.first(std::min(bytes.size(), limit));
    if (const size_t end = http::find_head_end(window)) {
      if (!answer_request(id, bytes.first(end))) return bytes.size();
      return end + on_frame_data(id, bytes.subspan(end));
    }
    if (bytes.size() >= limit) {
      const int status = oversized_head_status(window);
      release_handshake(id);
      respond_and_close(id, status);
      return bytes.size();
    }
    const uint32_t chunk = header_buffers_.alloc();
    if (chunk == core::kNil) {
      ++stats_.pool_empty_handshake;
      release_handshake(id);
      respond_and_close(id, 503);
      return bytes.size();
    }
    std::memcpy(header_buffers_.data(chunk), bytes.data(), bytes.size());
    s.header_chunk = chunk;
    s.header_len = static_cast<uint32_t>(bytes.size());
    return bytes.size();
  }
  uint8_t* buf = header_buffers_.data(s.header_chunk);
  const size_t old_len = s.header_len;
  const size_t n = std::min(bytes.size(), limit - old_len);
  std::memcpy(buf + old_len, bytes.data(), n);
  const std::span<const uint8_t> have(buf, old_len + n);
  if (const size_t end = http::find_head_end(have, http::rescan_from(old_len))) {
    // Bytes of this segment after the head are frames already.
    const size_t taken_here = end - old_len;
    if (!answer_request(id, have.first(end))) return bytes.size();
    return taken_here + on_frame_data(id, bytes.subspan(taken_here));
  }
  if (have.size() >= limit) {
    const int status = oversized_head_status(have);
    release_handshake(id);
    respond_and_close(id, status);
    return bytes.size();
  }
  s.header_len = static_cast<uint32_t>(have.size());
  return bytes.size();
}

bool HttpWsApp::answer_request(tcp::ConnId id, std::span<const uint8_t> head) {
  const std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
  ws::HandshakeDecision d;
  if (http::request_line_length(head) > cfg_.max_request_line_bytes) {
    d.status = 400;
  } else {
    d = ws::evaluate_request(text, policy_);
  }
  // head may live in the header buffer: done with it from here on.
  release_handshake(id);
  switch (d.kind) {
    case ws::RequestKind::Healthz:
      ++stats_.healthz_served;
      serve_text(id, "text/plain", "ok\n");
      return false;
    case ws::RequestKind::Metrics: {
      const size_t n = metrics_->render(metrics_buf_.get(), cfg_.metrics_buffer_bytes);
      ++stats_.metrics_served;
      serve_text(id, "text/plain; version=0.0.4", std::string_view(metrics_buf_.get(), n));
      return false;
    }
    case ws::RequestKind::Reject:
      respond_and_close(id, d.status, d.extra_headers);
      return false;
    case ws::RequestKind::Upgrade:
      break;
  }
  char reply[kSmallResponseBytes];
  const size_t len = ws::write_switching_protocols(reply, sizeof reply, d);
  if (len == 0 || io_->send_space(id) < len) {
    respond_and_close(id, 503);
    return false;
  }
  if (io_->send(id, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply), len)) != len) {
    ++stats_.aborts_no_send_space;
    io_->app_word(id) = kHttpDone;
    io_->abort(id);
    return false;
  }
  ++stats_.handshakes_ok;
  io_->app_word(id) = kOpen | kActivity;
  io_->app_index(id) = core::kNil;
  return true;
}

size_t HttpWsApp::on_frame_data(tcp::ConnId id, std::span<const uint8_t> bytes) {
  io_->app_word(id) |= kActivity;
  // Output still owed from an earlier call goes first; until it is out, the
  // input stays in TCP (on_writable → resume_read brings it back).
  if (!finish_pending_message(id)) return 0;
  const uint32_t index = io_->app_index(id);
  ws::FrameDecoder local;
  ws::FrameDecoder* decoder = index != core::kNil ? &frame_states_[index].decoder : &local;
  EchoSink sink(*this, id);
  const ws::DecodeResult r = decoder->feed(decoder_cfg_, bytes, sink);
  stats_.frames_in += r.frames;
  if (sink.failed()) {
    ++stats_.aborts_no_send_space;
    release_frame_state(id);
    io_->app_word(id) = kClosing;
    io_->abort(id);
    return bytes.size();
  }
  switch (r.status) {
    case ws::DecodeStatus::Ok:
    case ws::DecodeStatus::Blocked: {
      uint32_t slot = io_->app_index(id);  // the sink may have borrowed one during the call
      if (decoder == &local) {
        if (slot != core::kNil) {
          frame_states_[slot].decoder = local;
        } else if (!local.idle()) {
          FrameState* st = borrow_frame_state(id);
          if (st == nullptr) {
            send_close_and_shutdown(id, ws::kCloseTryAgainLater);
            return bytes.size();
          }
          st->decoder = local;
          slot = io_->app_index(id);
        }
      }
      if (slot != core::kNil && frame_states_[slot].decoder.idle() && frame_states_[slot].msg.empty()) {
        release_frame_state(id);
        slot = core::kNil;
      }
      if (r.status == ws::DecodeStatus::Blocked) {
        ++stats_.send_blocked;
        // A message still being written armed on_writable with its short send.
        if (slot == core::kNil || !frame_states_[slot].msg.writing()) io_->want_writable(id);
      }
      return r.consumed;
    }
    case ws::DecodeStatus::Closed:
      // Our Close echo went out from the sink; nothing more will be read.
      release_frame_state(id);
      io_->app_word(id) = kClosing;
      io_->shutdown_write(id);
      return bytes.size();
    case ws::DecodeStatus::Error:
      release_frame_state(id);
      send_close_and_shutdown(id, r.close_code);
      return bytes.size();
  }
  return bytes.size();
}

void HttpWsApp::on_peer_closed(tcp::ConnId id) {
  switch (io_->app_word(id) & kPhaseMask) {
    case kHandshake:
      release_handshake(id);
      io_->app_word(id) = kHttpDone;
      io_->shutdown_write(id);
      break;
    case kOpen:
      ++stats_.peer_fin_without_close;
      release_frame_state(id);
      io_->app_word(id) = kClosing;
      io_->shutdown_write(id);
      break;
    default:
      break;  // our FIN is already queued
  }
}

void HttpWsApp::on_writable(tcp::ConnId id) {
  if ((io_->app_word(id) & kPhaseMask) != kOpen) return;
  if (!finish_pending_message(id)) return;
  io_->resume_read(id);
}

void HttpWsApp::on_closed(tcp::ConnId id, tcp::CloseReason) {
  switch (io_->app_word(id) & kPhaseMask) {
    case kHandshake: release_handshake(id); break;
    case kOpen: release_frame_state(id); break;
    default: break;
  }
}

void HttpWsApp::release_handshake(tcp::ConnId id) {
  uint32_t& index = io_->app_index(id);
  if (index == core::kNil) return;
  HandshakeSlot& s = handshakes_[index];
  if (s.prev != core::kNil) handshakes_[s.prev].next = s.next;
  else fifo_head_ = s.next;
  if (s.next != core::kNil) handshakes_[s.next].prev = s.prev;
  else fifo_tail_ = s.prev;
  if (s.header_chunk != core::kNil) header_buffers_.free(s.header_chunk);
  handshakes_.free(index);
  index = core::kNil;
}

void HttpWsApp::release_frame_state(tcp::ConnId id) {
  uint32_t& index = io_->app_index(id);
  if (index == core::kNil) return;
  Assembly& a = frame_states_[index].msg;
  for (uint32_t c = a.head; c != core::kNil;) {
    const uint32_t next = message_buffers_.next(c);
    message_buffers_.free(c);
    c = next;
  }
  frame_states_.free(index);
  index = core::kNil;
}

HttpWsApp::FrameState* HttpWsApp::borrow_frame_state(tcp::ConnId id) {
  uint32_t& index = io_->app_index(id);
  if (index != core::kNil) return &frame_states_[index];
  const uint32_t slot = frame_states_.alloc();
  if (slot == core::kNil) {
    ++stats_.pool_empty_frame;
    return nullptr;
  }
  index = slot;
  return &frame_states_[slot];
}

bool HttpWsApp::append_message(Assembly& a, std::span<const uint8_t> bytes) {
  const uint32_t cs = message_buffers_.chunk_size();
  while (!bytes.empty()) {
    uint32_t used = a.bytes == 0 ? cs : (a.bytes - 1) % cs + 1;  // bytes in the tail chunk
    if (a.tail == core::kNil || used == cs) {
      const uint32_t c = message_buffers_.alloc();
      if (c == core::kNil) return false;
      if (a.tail != core::kNil) message_buffers_.next(a.tail) = c;
      else a.head = c;
      a.tail = c;
      used = 0;
    }
    const size_t n = std::min<size_t>(cs - used, bytes.size());
    std::memcpy(message_buffers_.data(a.tail) + used, bytes.data(), n);
    a.bytes += static_cast<uint32_t>(n);
    bytes = bytes.subspan(n);
  }
  return true;
}

// Hands TCP as much of header + payload as it takes. A short send is what
// arms on_writable, so each piece is offered whole; TCP taking less than the
// space it reported means its buffers ran dry (Failed).
HttpWsApp::WriteResult HttpWsApp::write_message(tcp::ConnId id, Assembly& a) {
  const uint32_t cs = message_buffers_.chunk_size();
  const uint32_t total = a.header_len + a.bytes;
  while (a.sent < total) {
    std::span<const uint8_t> piece;
    const bool in_payload = a.sent >= a.header_len;
    if (!in_payload) {
      piece = std::span<const uint8_t>(a.header + a.sent, a.header_len - a.sent);
    } else {
      const uint32_t off = a.sent - a.header_len;
      const uint32_t in_chunk = off % cs;
      piece = std::span<const uint8_t>(message_buffers_.data(a.head) + in_chunk,
                                       std::min(cs - in_chunk, a.bytes - off));
    }
    const size_t space = io_->send_space(id);
    const size_t n = io_->send(id, piece);
    if (n < std::min(space, piece.size())) return WriteResult::Failed;
    a.sent += static_cast<uint32_t>(n);
    if (in_payload && n == piece.size()) {
      // Pieces end at a chunk's end (or the payload's): that chunk is done.
      const uint32_t next = message_buffers_.next(a.head);
      message_buffers_.free(a.head);
      a.head = next;
    }
    if (n < piece.size()) return WriteResult::Pending;
  }
  a = Assembly{};
  return WriteResult::Done;
}

bool HttpWsApp::finish_pending_message(tcp::ConnId id) {
  const uint32_t index = io_->app_index(id);
  if (index == core::kNil || !frame_states_[index].msg.writing()) return true;
  FrameState& st = frame_states_[index];
  switch (write_message(id, st.msg)) {
    case WriteResult::Pending: return false;
    case WriteResult::Failed:
      ++stats_.aborts_no_send_space;
      release_frame_state(id);
      io_->app_word(id) = kClosing;
      io_->abort(id);
      return false;
    case WriteResult::Done: break;
  }
  if (st.decoder.idle()) release_frame_state(id);
  return true;
}

bool HttpWsApp::send_all(tcp::ConnId id, std::span<const uint8_t> bytes) {
  if (io_->send_space(id) < bytes.size()) return false;
  return io_->send(id, bytes) == bytes.size();
}

void HttpWsApp::respond_and_close(tcp::ConnId id, int status, std::string_view extra_headers) {
  char reply[kSmallResponseBytes];
  const size_t len = http::write_error_response(reply, sizeof reply, status, extra_headers);
  count_status(status);
  io_->app_word(id) = kHttpDone;
  if (!send_all(id, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply), len))) {
    ++stats_.aborts_no_send_space;
    io_->abort(id);
    return;
  }
  io_->shutdown_write(id);
}

void HttpWsApp::serve_text(tcp::ConnId id, std::string_view content_type, std::string_view body) {
  char head[kSmallResponseBytes];
  // Head and body go out as two sends so a large body is not copied twice.
  size_t len = 0;
  char length_line[48];
  const int n = std::snprintf(length_line, sizeof length_line, "Content-Length: %zu\r\n", body.size());
  const std::string_view parts[] = {"HTTP/1.1 200 OK\r\nContent-Type: ", content_type,
                                    "\r\n", std::string_view(length_line, static_cast<size_t>(n)),
                                    "Connection: close\r\n\r\n"};
  for (std::string_view p : parts) {
    std::memcpy(head + len, p.data(), p.size());
    len += p.size();
  }
  io_->app_word(id) = kHttpDone;
  if (io_->send_space(id) < len + body.size()) {
    respond_and_close(id, 503);
    return;
  }
  io_->send(id, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(head), len));
  io_->send(id, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  io_->shutdown_write(id);
}

void HttpWsApp::send_close_and_shutdown(tcp::ConnId id, uint16_t code) {
  const uint8_t frame[4] = {0x88, 0x02, static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  io_->app_word(id) = kClosing;
  count_close_sent(code);
  if (!send_all(id, frame)) {
    ++stats_.aborts_no_send_space;
    io_->abort(id);
    return;
  }
  ++stats_.frames_out;
  io_->shutdown_write(id);
}

void HttpWsApp::count_status(int status) {
  switch (status) {
    case 400: ++stats_.http_400; break;
    case 403: ++stats_.http_403; break;
    case 404: ++stats_.http_404; break;
    case 405: ++stats_.http_405; break;
    case 408: ++stats_.http_408; break;
    case 426: ++stats_.http_426; break;
    case 431: ++stats_.http_431; break;
    case 503: ++stats_.http_503; break;
    case 505: ++stats_.http_505; break;
    default: ++stats_.http_other; break;
  }
}

void HttpWsApp::count_close_sent(uint16_t code) {
  switch (code) {
    case ws::kCloseGoingAway: ++stats_.close_sent_1001; break;
    case ws::kCloseProtocolError: ++stats_.close_sent_1002; break;
    case ws::kCloseInvalidPayload: ++stats_.close_sent_1007; break;
    case ws::kCloseMessageTooBig: ++stats_.close_sent_1009; break;
    case ws::kCloseTryAgainLater: ++stats_.close_sent_1013; break;
    default: ++stats_.close_sent_other; break;
  }
}

}  // namespace wsgate::apps
