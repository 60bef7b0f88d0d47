// The part of TcpStack that HttpWsApp uses, as an interface: unit tests drive
// the app with a fake, the appliance with TcpStackIo. One virtual call per
// send is noise next to the copy the stack makes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "tcp/tcp_stack.hpp"

namespace wsgate::apps {

class ConnIo {
 public:
  virtual ~ConnIo() = default;
  virtual size_t send(tcp::ConnId, std::span<const uint8_t> bytes) = 0;
  virtual size_t send_space(tcp::ConnId) const = 0;
  virtual void shutdown_write(tcp::ConnId) = 0;
  virtual void abort(tcp::ConnId) = 0;
  virtual void resume_read(tcp::ConnId) = 0;
  virtual void want_writable(tcp::ConnId) = 0;  // on_writable once send_space() grows
  virtual uint32_t& app_word(tcp::ConnId) = 0;
  virtual uint32_t& app_index(tcp::ConnId) = 0;
  // For the idle-ping sweep, which walks ConnIds instead of keeping a list or
  // a timer per connection: whether id is a live, established connection.
  virtual bool is_established(tcp::ConnId) const { return false; }
};

// Defined in http_ws_app_tcp.cpp so that only users of the real stack link it.
class TcpStackIo final : public ConnIo {
 public:
  explicit TcpStackIo(tcp::TcpStack& stack) : stack_(stack) {}
  size_t send(tcp::ConnId, std::span<const uint8_t> bytes) override;
  size_t send_space(tcp::ConnId) const override;
  void shutdown_write(tcp::ConnId) override;
  void abort(tcp::ConnId) override;
  void resume_read(tcp::ConnId) override;
  void want_writable(tcp::ConnId) override;
  uint32_t& app_word(tcp::ConnId) override;
  uint32_t& app_index(tcp::ConnId) override;
  bool is_established(tcp::ConnId) const override;

 private:
  tcp::TcpStack& stack_;
};

}  // namespace wsgate::apps
