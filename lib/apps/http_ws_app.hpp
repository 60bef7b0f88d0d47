// The HTTP/1.1 + WebSocket echo server on one listening port: GET /healthz,
// GET /metrics, and RFC 6455 upgrades whose messages are echoed back.
//
// Memory: per connection only the TCP record's app_word (phase) and
// app_index (a pool index or kNil). A connection borrows
//   - a HandshakeSlot from accept until the request head is answered (it also
//     links the connection into the timeout FIFO; one timeout for all, so FIFO
//     order is deadline order and poll() sweeps from the head),
//   - a header buffer only when the request head spans segments,
//   - a FrameState (decoder + message assembly) only while a frame or a
//     fragmented message spans on_data calls,
//   - message buffers (ChunkPool chunks) only while a message that spans
//     on_data calls is being assembled or written out.
// An idle WebSocket holds nothing outside the record.
//
// Echo: each complete, valid message goes back as one frame of the same type;
// nothing of a message goes out before all of it has arrived and passed
// validation, so a message that ends in a protocol error (1002/1007/1009)
// leaves no partial echo behind.
//   - A message whose whole payload is in one on_data call is validated and
//     then unmasked straight into send() (no buffer).
//   - Anything else (fragmented, or one frame cut across segments) is
//     unmasked and validated piece by piece into message buffers bounded by
//     max_message_bytes (checked on each frame header, so an oversized frame
//     is refused with 1009 before any payload) and by the pool (empty: 1013);
//     it is sent as one frame when the last piece arrives and each buffer
//     goes back to the pool as soon as TCP has copied it.
// Backpressure: what does not fit the send space is finished on on_writable
// (a direct frame continues from the input TCP holds; an assembled one from
// its buffers); meanwhile no more input is decoded, so nothing is reordered
// and no control reply lands inside a frame. Control frames between
// fragments are answered at once.
//
// Idle ping (idle_ping_ms): poll() sweeps ConnIds [0, conn_id_limit) once per
// period, a slice per call, with no timer or list per connection. Two bits of
// app_word carry the state: "something arrived since the last visit" and "our
// ping is outstanding". A visit clears both if something arrived; otherwise
// it sends an empty Ping, and at the next visit (one period later) with still
// nothing received it closes with 1001 (going away) and FIN. RFC 6455 allows
// either a Close or just dropping TCP; the Close tells a live but stuck client
// why, and TCP's retransmission limit reclaims a dead peer either way.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "apps/ws_config.hpp"
#include "apps/ws_conn_io.hpp"
#include "apps/ws_stats.hpp"
#include "core/chunk_pool.hpp"
#include "core/slab.hpp"
#include "tcp/tcp_stack.hpp"
#include "ws/frame_decoder.hpp"
#include "ws/handshake.hpp"

namespace wsgate::apps {

class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  virtual size_t render(char* buf, size_t cap) = 0;  // Prometheus text; bytes written
};

class HttpWsApp final : public tcp::TcpApp {
 public:
  HttpWsApp() = default;
  HttpWsApp(const HttpWsApp&) = delete;
  HttpWsApp& operator=(const HttpWsApp&) = delete;

  // Allocates every pool. metrics may be null (then /metrics is 404).
  bool init(tcp::TcpStack& stack, const WsConfig& cfg, MetricsSource* metrics, const char** error);
  // Same over any ConnIo (unit tests use a fake stack).
  bool init(ConnIo& io, const WsConfig& cfg, MetricsSource* metrics, const char** error);

  // Every loop pass: handshake timeouts and the idle-ping sweep. The app's only clock.
  void poll(uint64_t now_us);

  void on_established(tcp::ConnId id) override;
  size_t on_data(tcp::ConnId id, std::span<const uint8_t> bytes) override;
  void on_peer_closed(tcp::ConnId id) override;
  void on_writable(tcp::ConnId id) override;
  void on_closed(tcp::ConnId id, tcp::CloseReason reason) override;

  const WsStats& stats() const { return stats_; }
  uint32_t handshakes_in_progress() const { return handshakes_.in_use(); }
  uint32_t header_buffers_in_use() const { return header_buffers_.in_use(); }
  uint32_t frame_states_in_use() const { return frame_states_.in_use(); }
  uint32_t message_buffers_in_use() const { return message_buffers_.in_use(); }

 private:
  friend class EchoSink;

  struct HandshakeSlot {
    uint32_t prev = core::kNil;  // timeout FIFO links (oldest at head_)
    uint32_t next = core::kNil;
    tcp::ConnId conn = tcp::kNoConn;
    uint32_t header_chunk = core::kNil;  // borrowed only when the head spans segments
    uint32_t header_len = 0;
    uint64_t started_us = 0;
  };

  // A message being assembled, then written: payload in a chunk chain (every
  // chunk full but the tail), and while writing, the frame header and how
  // much of header + payload TCP has taken (each fully sent chunk is freed).
  struct Assembly {
    uint32_t head = core::kNil;
    uint32_t tail = core::kNil;
    uint32_t bytes = 0;       // payload assembled
    uint32_t sent = 0;        // of header + payload, while writing
    uint8_t opcode = 0;
    uint8_t header_len = 0;   // nonzero while writing
    uint8_t header[ws::kMaxServerHeaderBytes] = {};
    bool writing() const { return header_len != 0; }
    bool empty() const { return head == core::kNil && !writing(); }
  };
  struct FrameState {
    ws::FrameDecoder decoder;
    Assembly msg;
  };
  enum class WriteResult : uint8_t { Done, Pending, Failed };

  size_t on_handshake_data(tcp::ConnId id, std::span<const uint8_t> bytes);
  size_t on_frame_data(tcp::ConnId id, std::span<const uint8_t> bytes);
  bool answer_request(tcp::ConnId id, std::span<const uint8_t> head);  // true: now a WebSocket
  int oversized_head_status(std::span<const uint8_t> partial) const;
  void release_handshake(tcp::ConnId id);
  void release_frame_state(tcp::ConnId id);
  FrameState* borrow_frame_state(tcp::ConnId id);
  bool append_message(Assembly& a, std::span<const uint8_t> bytes);
  WriteResult write_message(tcp::ConnId id, Assembly& a);
  bool finish_pending_message(tcp::ConnId id);  // false: still pending, or the connection was reset
  void sweep_idle(uint64_t now_us);
  void visit_idle(tcp::ConnId id);
  void respond_and_close(tcp::ConnId id, int status, std::string_view extra_headers = {});
  void serve_text(tcp::ConnId id, std::string_view content_type, std::string_view body);
  void send_close_and_shutdown(tcp::ConnId id, uint16_t code);
  bool send_all(tcp::ConnId id, std::span<const uint8_t> bytes);
  void count_status(int status);
  void count_close_sent(uint16_t code);

  ConnIo* io_ = nullptr;
  alignas(TcpStackIo) unsigned char stack_io_storage_[sizeof(TcpStackIo)] = {};
  WsConfig cfg_;
  ws::HandshakePolicy policy_;
  ws::FrameDecoderConfig decoder_cfg_;
  MetricsSource* metrics_ = nullptr;
  std::unique_ptr<char[]> metrics_buf_;
  uint64_t now_us_ = 0;
  uint64_t handshake_timeout_us_ = 0;

  core::Slab<HandshakeSlot> handshakes_;
  core::ChunkPool header_buffers_;
  core::Slab<FrameState> frame_states_;
  core::ChunkPool message_buffers_;
  uint64_t ping_period_us_ = 0;
  uint64_t sweep_round_start_us_ = 0;
  uint32_t sweep_cursor_ = 0;
  bool sweep_started_ = false;
  uint32_t fifo_head_ = core::kNil;
  uint32_t fifo_tail_ = core::kNil;

  WsStats stats_;
};

}  // namespace wsgate::apps
