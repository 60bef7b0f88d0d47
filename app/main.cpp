// wsgate: EAL arguments, then "--" and wsgate's own options; one worker per
// lcore, each on its own RX/TX queue pair (l3fwd's shape); signal handling
// and an orderly drain on SIGINT/SIGTERM.
#include <signal.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/wait.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <fmt/format.h>

#include "app/metrics.hpp"
#include "app/options.hpp"
#include "app/worker.hpp"
#include "core/log.hpp"
#include "drivers/port.hpp"
#include "drivers/tap_polling.hpp"
#include "net/ipv4_addr.hpp"

extern char** environ;

namespace {

using namespace wsgate;

volatile bool g_quit = false;

void on_signal(int) { g_quit = true; }

std::string ip_string(uint32_t ip) { return net::format_ipv4(ip); }

// Runs `ip ARGS...` at start-up (never on the packet path).
bool run_ip(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  std::string ip = "ip";
  argv.push_back(ip.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, "ip", nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct LaunchArg {
  app::Worker* worker;
};

bool g_replay = false;

int worker_main(void* arg) {
  if (g_replay)
    static_cast<LaunchArg*>(arg)->worker->run_replay(&g_quit);
  else
    static_cast<LaunchArg*>(arg)->worker->run(&g_quit);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Our options follow "--"; parse them before EAL so --help and mistakes
  // answer at once, without touching hugepages or devices.
  int sep = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      sep = i;
      break;
    }
  }
  for (int i = 1; i < sep; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      app::print_usage(stdout);
      fmt::print("\nEAL options (before --) are DPDK's; the usual ones are -l, -m, --no-huge, --no-shconf, "
                 "--in-memory, --no-pci, --vdev, -a.\n");
      return 0;
    }
  }
  app::Options opts;
  std::string error;
  int own_argc = sep < argc ? argc - sep - 1 : 0;
  switch (app::parse_options(own_argc, argv + sep + (sep < argc ? 1 : 0), &opts, &error)) {
    case app::ParseResult::Help: app::print_usage(stdout); return 0;
    case app::ParseResult::Error:
      fmt::print(stderr, "wsgate: {}\n", error);
      return 2;
    case app::ParseResult::Ok: break;
  }
  log::Level level = log::Level::Info;
  log::parse_level(opts.log_level.c_str(), &level);
  log::set_level(level);

  // Before EAL probes a --vdev net_tap, and before we create our own TAP.
  drivers::claim_tap_rx_signals();
  int eal_argc = sep;
  int rc = rte_eal_init(eal_argc, argv);
  if (rc < 0) {
    fmt::print(stderr, "wsgate: DPDK EAL initialisation failed: {} (check the EAL options before --; without "
                       "hugepages use --no-huge --no-shconf -m 512)\n",
               rte_strerror(rte_errno));
    return 1;
  }
  // EAL reports how many arguments it took after the program name.
  if (rc != eal_argc - 1) {
    fmt::print(stderr, "wsgate: unexpected argument '{}' before -- (wsgate's own options go after --)\n",
               argv[rc + 1 < argc ? rc + 1 : argc - 1]);
    rte_eal_cleanup();
    return 2;
  }

  std::vector<unsigned> lcores;
  unsigned lc;
  RTE_LCORE_FOREACH(lc) lcores.push_back(lc);  // main lcore first

  drivers::PortRequest req;
  req.queues = static_cast<uint16_t>(lcores.size());
  req.mbufs_per_queue = opts.mbufs;
  req.iface = opts.iface;
  req.tap_name = opts.tap_name;
  req.rx_timestamps = opts.replay;
  if (opts.replay && (lcores.size() != 1 || rte_eth_dev_count_avail() == 0)) {
    fmt::print(stderr, "wsgate: --replay needs one lcore (-l N) and a capture port "
                       "(--vdev net_pcap0,rx_pcap=IN.pcap,tx_pcap=/dev/null)\n");
    rte_eal_cleanup();
    return 2;
  }
  drivers::Port port;
  if (!drivers::port_open(req, &port, &error)) {
    fmt::print(stderr, "wsgate: {}\n", error);
    rte_eal_cleanup();
    return 1;
  }

  if (port.kind == drivers::PortKind::Tap) {
    std::string host = opts.host_addr_set ? fmt::format("{}/{}", ip_string(opts.host_addr), opts.host_prefix) : "";
    if (opts.host_addr_set) {
      if (!run_ip({"addr", "replace", host, "dev", port.kernel_iface}) ||
          !run_ip({"link", "set", "dev", port.kernel_iface, "up"})) {
        fmt::print(stderr, "wsgate: could not configure {} with {} (is iproute2 installed? are we root?)\n",
                   port.kernel_iface, host);
        drivers::port_close(&port);
        rte_eal_cleanup();
        return 1;
      }
      log::info("TAP {} has {} on the host side; the appliance is {}", port.kernel_iface, host, ip_string(opts.addr));
    } else {
      log::info("TAP {} created. To reach {} from this host:\n  ip addr add {}/{} dev {}\n  ip link set dev {} up\n"
                "(or start wsgate with --host-addr ADDR/LEN)",
                port.kernel_iface, ip_string(opts.addr), ip_string((opts.addr & ~0xffu) | ((opts.addr & 0xff) == 1 ? 2 : 1)),
                opts.prefix, port.kernel_iface, port.kernel_iface);
    }
  }

  uint64_t secret[2] = {};
  if (opts.seed_set) {
    // splitmix64: two well-mixed words from one number.
    uint64_t z = opts.seed;
    for (auto& w : secret) {
      z += 0x9e3779b97f4a7c15ull;
      uint64_t x = z;
      x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
      x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
      w = x ^ (x >> 31);
    }
  } else if (getrandom(secret, sizeof(secret), 0) != sizeof(secret)) {
    fmt::print(stderr, "wsgate: getrandom failed; cannot seed RFC 6528 sequence numbers\n");
    return 1;
  }

  std::vector<std::unique_ptr<app::PcapWriter>> captures;
  if (!opts.capture_path.empty()) {
    for (size_t q = 0; q < lcores.size(); ++q) {
      auto w = std::make_unique<app::PcapWriter>();
      std::string path = q == 0 ? opts.capture_path : fmt::format("{}.q{}", opts.capture_path, q);
      if (!w->open(path, opts.capture_max_bytes, &error)) {
        fmt::print(stderr, "wsgate: {}\n", error);
        drivers::port_close(&port);
        rte_eal_cleanup();
        return 1;
      }
      log::info("capturing queue {} to {} (at most {} bytes)", q, path, opts.capture_max_bytes);
      captures.push_back(std::move(w));
    }
  }

  app::Metrics metrics;
  std::vector<std::unique_ptr<app::Worker>> workers;
  std::vector<app::Worker*> worker_ptrs;
  for (size_t q = 0; q < lcores.size(); ++q) {
    auto w = std::make_unique<app::Worker>();
    app::Worker::Setup s;
    s.opts = &opts;
    s.port = &port;
    s.queue = static_cast<uint16_t>(q);
    s.isn_secret[0] = secret[0];
    s.isn_secret[1] = secret[1];
    s.metrics = &metrics;
    s.capture = captures.empty() ? nullptr : captures[q].get();
    if (!w->init(s, &error)) {
      fmt::print(stderr, "wsgate: lcore {}: {} (try fewer --max-conns / --buffers, which are mapped outside EAL, or a larger -m for --mbufs)\n",
                 lcores[q], error);
      drivers::port_close(&port);
      rte_eal_cleanup();
      return 1;
    }
    worker_ptrs.push_back(w.get());
    workers.push_back(std::move(w));
  }
  metrics.set_workers(worker_ptrs);

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::vector<LaunchArg> args(lcores.size());
  for (size_t q = 0; q < lcores.size(); ++q) args[q].worker = worker_ptrs[q];
  for (size_t q = 1; q < lcores.size(); ++q) rte_eal_remote_launch(worker_main, &args[q], lcores[q]);

  std::string ports;
  for (uint16_t p : opts.http_ports) ports += fmt::format("{}{}", ports.empty() ? "" : ",", p);
  fmt::print("wsgate: ready on {} ({} {}): http/ws port {}, echo port {}, {} lcore(s)\n", ip_string(opts.addr),
             drivers::port_kind_name(port.kind), port.kernel_iface.empty() ? port.name : port.kernel_iface, ports,
             opts.echo_port, lcores.size());
  std::fflush(stdout);

  g_replay = opts.replay;
  worker_main(&args[0]);
  rte_eal_mp_wait_lcore();

  bool failed = opts.replay && worker_ptrs[0]->replay_failed();
  log::info("shutting down: stopping port {}", port.id);
  for (size_t q = 0; q < captures.size(); ++q) {
    if (captures[q]->dropped())
      log::warn("capture of queue {}: {} frames not written (size bound reached)", q, captures[q]->dropped());
    captures[q]->close();
  }
  workers.clear();
  drivers::port_close(&port);
  rte_eal_cleanup();
  log::info("stopped");
  return failed ? 1 : 0;
}
