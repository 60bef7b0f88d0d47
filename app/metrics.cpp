#include "app/metrics.hpp"

#include <fmt/format.h>

#include "app/worker.hpp"

namespace wsgate::app {

namespace {

// Appends into a fixed buffer; output past the end is cut, never overflowed.
struct Out {
  char* buf;
  size_t cap;
  size_t len = 0;
  template <typename... Args>
  void add(fmt::format_string<Args...> f, Args&&... args) {
    if (len >= cap) return;
    auto r = fmt::format_to_n(buf + len, cap - len, f, std::forward<Args>(args)...);
    len += std::min(r.size, cap - len);
  }
};

const char* state_label(tcp::State s) {
  switch (s) {
    case tcp::State::SynReceived: return "syn_received";
    case tcp::State::Established: return "established";
    case tcp::State::FinWait1: return "fin_wait_1";
    case tcp::State::FinWait2: return "fin_wait_2";
    case tcp::State::CloseWait: return "close_wait";
    case tcp::State::Closing: return "closing";
    case tcp::State::LastAck: return "last_ack";
    case tcp::State::TimeWait: return "time_wait";
    default: return nullptr;
  }
}

}  // namespace

size_t Metrics::render(char* buf, size_t cap) {
  Out o{buf, cap};
  auto sum_counter = [&](const char* prefix, const char* name, const char* help, auto get) {
    uint64_t total = 0;
    for (Worker* w : workers_) total += get(*w);
    o.add("# HELP wsgate_{}{}_total {}\n# TYPE wsgate_{}{}_total counter\nwsgate_{}{}_total {}\n", prefix, name, help,
          prefix, name, prefix, name, total);
  };
#define WSGATE_X(name, help) sum_counter("", #name, help, [](const Worker& w) { return w.stats().name; });
  WSGATE_WORKER_STATS(WSGATE_X)
#undef WSGATE_X
#define WSGATE_X(name, help) sum_counter("tcp_", #name, help, [](const Worker& w) { return w.tcp().stats().name; });
  WSGATE_TCP_STATS(WSGATE_X)
#undef WSGATE_X
#define WSGATE_X(name, help) sum_counter("ws_", #name, help, [](const Worker& w) { return w.http().stats().name; });
  WSGATE_WS_STATS(WSGATE_X)
#undef WSGATE_X

  o.add("# HELP wsgate_tcp_connections TCP connections by state\n# TYPE wsgate_tcp_connections gauge\n");
  for (int s = 0; s < tcp::kStateCount; ++s) {
    auto st = static_cast<tcp::State>(s);
    const char* label = state_label(st);
    if (!label) continue;
    uint64_t n = 0;
    for (Worker* w : workers_) n += w->tcp().connections(st);
    o.add("wsgate_tcp_connections{{state=\"{}\"}} {}\n", label, n);
  }
  uint64_t used = 0, total = 0;
  for (Worker* w : workers_) {
    used += w->tcp().buffers_in_use();
    total += w->tcp().buffers_total();
  }
  o.add("# HELP wsgate_buffers_in_use data buffers borrowed\n# TYPE wsgate_buffers_in_use gauge\n"
        "wsgate_buffers_in_use {}\n"
        "# HELP wsgate_buffers_total data buffers in the pools\n# TYPE wsgate_buffers_total gauge\n"
        "wsgate_buffers_total {}\n",
        used, total);
  return o.len;
}

}  // namespace wsgate::app
