// Raw TCP echo: every byte received goes back on the same connection.
// Backpressure is TCP's own: bytes that do not fit the send buffer are left
// unconsumed, so the stack holds them and shrinks the window until an ACK
// frees space (on_writable → resume_read).
#pragma once
#include "tcp/tcp_stack.hpp"

namespace wsgate::apps {

class TcpEcho final : public tcp::TcpApp {
 public:
  explicit TcpEcho(tcp::TcpStack& stack) : stack_(stack) {}

  void on_established(tcp::ConnId) override {}
  size_t on_data(tcp::ConnId id, std::span<const uint8_t> bytes) override { return stack_.send(id, bytes); }
  void on_peer_closed(tcp::ConnId id) override { stack_.shutdown_write(id); }
  void on_writable(tcp::ConnId id) override { stack_.resume_read(id); }
  void on_closed(tcp::ConnId, tcp::CloseReason) override {}

 private:
  tcp::TcpStack& stack_;
};

}  // namespace wsgate::apps
