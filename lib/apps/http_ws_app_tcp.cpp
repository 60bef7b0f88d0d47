// The binding to the real TcpStack, kept apart so unit tests that drive the
// app through a fake ConnIo do not need the TCP engine linked.
#include <new>

#include "apps/http_ws_app.hpp"

namespace wsgate::apps {

size_t TcpStackIo::send(tcp::ConnId id, std::span<const uint8_t> bytes) { return stack_.send(id, bytes); }
size_t TcpStackIo::send_space(tcp::ConnId id) const { return stack_.send_space(id); }
void TcpStackIo::shutdown_write(tcp::ConnId id) { stack_.shutdown_write(id); }
void TcpStackIo::abort(tcp::ConnId id) { stack_.abort(id); }
void TcpStackIo::resume_read(tcp::ConnId id) { stack_.resume_read(id); }
void TcpStackIo::want_writable(tcp::ConnId id) { stack_.want_writable(id); }
uint32_t& TcpStackIo::app_word(tcp::ConnId id) { return stack_.app_word(id); }
uint32_t& TcpStackIo::app_index(tcp::ConnId id) { return stack_.app_index(id); }
bool TcpStackIo::is_established(tcp::ConnId id) const { return stack_.state(id) == tcp::State::Established; }

bool HttpWsApp::init(tcp::TcpStack& stack, const WsConfig& cfg, MetricsSource* metrics, const char** error) {
  // Never destroyed: it holds only a reference, and the storage dies with the app.
  auto* io = ::new (static_cast<void*>(stack_io_storage_)) TcpStackIo(stack);
  return init(*io, cfg, metrics, error);
}

}  // namespace wsgate::apps
