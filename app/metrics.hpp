// /metrics in Prometheus text format: every worker's packet-path counters,
// TCP counters and connection states, and the HTTP/WebSocket app's counters.
#pragma once
#include <span>

#include "apps/http_ws_app.hpp"

namespace wsgate::app {

class Worker;

class Metrics final : public apps::MetricsSource {
 public:
  void set_workers(std::span<Worker* const> workers) { workers_ = workers; }
  size_t render(char* buf, size_t cap) override;

 private:
  std::span<Worker* const> workers_;
};

}  // namespace wsgate::app
