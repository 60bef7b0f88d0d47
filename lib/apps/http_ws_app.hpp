// The HTTP/1.1 + WebSocket echo server on one listening port: GET /healthz,
// GET /metrics, and RFC 6455 upgrades whose messages are echoed back.
//
// Memory: per connection only the TCP record's app_word (phase) and
// app_index (a pool index or kNil). A connection borrows
//   - a HandshakeSlot from accept until the request head is answered (it also
//     links the connection into the timeout FIFO; one timeout for all, so FIFO
//     order is deadline order and poll() sweeps from the head),
//   - a header buffer only when the request head spans segments,
//   - a FrameDecoder only while a frame or fragmented message spans on_data
//     calls.
// An idle WebSocket holds nothing outside the record.
//
// Echo streams: each delivered piece of a message (validated and unmasked)
// goes out at once as a fragment of the echoed message, so a message is never
// assembled. A message that arrives in one on_data call goes back as one
// frame. Backpressure: pieces are cut to the send space; when none is left,
// the rest of the input stays in TCP until on_writable → resume_read.
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

  // Every loop pass: handshake timeouts. The app's only clock.
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

  size_t on_handshake_data(tcp::ConnId id, std::span<const uint8_t> bytes);
  size_t on_frame_data(tcp::ConnId id, std::span<const uint8_t> bytes);
  bool answer_request(tcp::ConnId id, std::span<const uint8_t> head);  // true: now a WebSocket
  int oversized_head_status(std::span<const uint8_t> partial) const;
  void release_handshake(tcp::ConnId id);
  void release_frame_state(tcp::ConnId id);
  void respond_and_close(tcp::ConnId id, int status, std::string_view extra_headers = {});
  void serve_text(tcp::ConnId id, std::string_view content_type, std::string_view body);
  void send_close_and_shutdown(tcp::ConnId id, uint16_t code);
  void wait_for_send_space(tcp::ConnId id);
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
  core::Slab<ws::FrameDecoder> frame_states_;
  uint32_t fifo_head_ = core::kNil;
  uint32_t fifo_tail_ = core::kNil;

  WsStats stats_;
};

}  // namespace wsgate::apps
