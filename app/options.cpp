#include "app/options.hpp"

#include <charconv>
#include <string_view>

#include <fmt/format.h>

#include "core/log.hpp"
#include "net/ipv4_addr.hpp"

namespace wsgate::app {

namespace {

bool parse_u32(std::string_view s, uint64_t lo, uint64_t hi, uint32_t* out) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v < lo || v > hi) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool parse_ip(std::string_view s, uint32_t* out) {
  auto ip = net::parse_ipv4(s);
  if (ip) *out = *ip;
  return ip.has_value();
}

bool parse_cidr(std::string_view s, uint32_t* ip, uint8_t* prefix) {
  auto c = net::parse_ipv4_cidr(s);
  if (!c) return false;
  *ip = c->addr;
  *prefix = c->prefix_len;
  return true;
}

bool parse_ports(std::string_view s, std::vector<uint16_t>* out) {
  out->clear();
  while (!s.empty()) {
    auto comma = s.find(',');
    uint32_t p = 0;
    if (!parse_u32(s.substr(0, comma), 1, 65535, &p)) return false;
    out->push_back(static_cast<uint16_t>(p));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
    if (s.empty()) return false;
  }
  return !out->empty();
}

// NAME[,NAME...]: non-empty items that pass ok(); duplicates are harmless.
template <typename Ok>
bool parse_list(std::string_view s, std::vector<std::string>* out, Ok ok) {
  out->clear();
  while (true) {
    const auto comma = s.find(',');
    const std::string_view item = s.substr(0, comma);
    if (item.empty() || !ok(item)) return false;
    out->emplace_back(item);
    if (comma == std::string_view::npos) return true;
    s.remove_prefix(comma + 1);
  }
}

// RFC 9110 token (Sec-WebSocket-Protocol values are tokens, RFC 6455 4.1).
bool is_token(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || std::string_view("\"(),/:;<=>?@[\\]{}").find(ch) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// An Origin as browsers send it: scheme://host[:port], or "null".
bool is_origin(std::string_view s) {
  if (s == "null") return true;
  const auto sep = s.find("://");
  if (sep == 0 || sep == std::string_view::npos || sep + 3 >= s.size()) return false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return s.find('/', sep + 3) == std::string_view::npos;
}

bool is_path(std::string_view s) {
  if (s.size() > 1024 || s[0] != '/') return false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || ch == '?' || ch == '#') return false;
  }
  return true;
}

}  // namespace

void print_usage(std::FILE* f) {
  fmt::print(f,
             "usage: wsgate [EAL options] -- [wsgate options]\n"
             "\n"
             "Terminates TCP, HTTP and WebSocket connections on a DPDK port with wsgate's own stack.\n"
             "With no DPDK port (no PCI device, no --vdev) and no --iface, wsgate creates a TAP interface.\n"
             "\n"
             "  --addr A.B.C.D/LEN        appliance IPv4 address and prefix (default 198.18.0.2/24)\n"
             "  --gateway A.B.C.D         default gateway for off-link peers (default: none)\n"
             "  --http-port N[,N...]      HTTP/WebSocket ports: /healthz, /metrics, WebSocket upgrade (default 8080)\n"
             "  --echo-port N             raw TCP echo port, 0 = off (default 7777)\n"
             "  --tap NAME                TAP interface to create when no port is given (default wsgate0)\n"
             "  --host-addr A.B.C.D/LEN   give the TAP's kernel side this address and bring it up (TAP only)\n"
             "  --iface NAME              serve kernel interface NAME through AF_XDP (net_af_xdp)\n"
             "  --max-conns N             connections per lcore; also sizes the TIME_WAIT table (default 65536)\n"
             "  --syn-backlog N           half-open connections per lcore before SYN cookies answer\n"
             "                            new SYNs, 0 = cookies for every SYN (default 4096)\n"
             "  --buffers N               2 KiB data buffers per lcore (default 16384)\n"
             "  --mbufs N                 packet buffers per queue (default 8191)\n"
             "  --stats-interval SEC      periodic stats line, 0 = off (default 10)\n"
             "  --log-level LEVEL         error, warn, info or debug (default info)\n"
             "  --keepalive SEC           TCP keepalive idle time, 0 = off (default 0)\n"
             "  --initial-window N        TCP initial window per RFC 6928, min(N*MSS, max(2*MSS, 14600))\n"
             "                            (Linux: 10); 0 = RFC 5681's 2-4 segments (default 0)\n"
             "  --max-message BYTES       largest WebSocket message accepted (default 1048576)\n"
             "  --max-header BYTES        largest HTTP request head accepted (default 8192)\n"
             "  --handshake-timeout MS    time allowed to complete the HTTP request (default 10000)\n"
             "  --ws-subprotocol NAME[,NAME...]  subprotocols spoken; the first one the client offers\n"
             "                            that is listed is selected (default: none)\n"
             "  --ws-origin ORIGIN[,ORIGIN...]  allowed Origin values, e.g. https://example.com; others\n"
             "                            get 403; requests without Origin pass (default: any)\n"
             "  --ws-path PATH[,PATH...]  paths that accept an upgrade; others get 404 (default: any\n"
             "                            path but /healthz and /metrics)\n"
             "  --ws-idle-ping MS         ping a WebSocket silent for MS to 2*MS; if nothing comes back\n"
             "                            within the next MS, close it (1001), 0 = off (default 0)\n"
             "  --capture FILE[,BYTES]    write what the port receives and sends to a pcap file, at most BYTES\n"
             "                            (default 64 MiB); with several lcores, lcore N>0 writes FILE.qN\n"
             "  --replay                  offline mode on a net_pcap port (--vdev net_pcap0,rx_pcap=IN,tx_pcap=/dev/null):\n"
             "                            one lcore (-l N); time comes from the capture; exits when the input ends\n"
             "  --seed N                  derive initial sequence numbers from N (deterministic runs)\n"
             "  --replay-tail MS          virtual time to run timers after the input ends (default 5000)\n"
             "  --help                    this text\n"
             "\n"
             "Example (no hugepages): wsgate --no-huge --no-shconf -m 512 -l 0 --no-pci -- --host-addr 198.18.0.1/24\n");
}

ParseResult parse_options(int argc, char** argv, Options* o, std::string* error) {
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return ParseResult::Help;
    if (arg.substr(0, 2) != "--") {
      *error = fmt::format("unexpected argument '{}' (options start with --; see --help)", arg);
      return ParseResult::Error;
    }
    std::string_view name = arg;
    std::string_view value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto need = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) {
        *error = fmt::format("option {} needs a value", name);
        return false;
      }
      value = argv[++i];
      return true;
    };
    auto bad = [&](const char* what) {
      *error = fmt::format("bad value '{}' for {}: expected {}", value, name, what);
      return ParseResult::Error;
    };
    uint32_t u = 0;
    if (name == "--addr") {
      if (!need()) return ParseResult::Error;
      if (!parse_cidr(value, &o->addr, &o->prefix) || o->prefix == 0 || o->prefix > 30)
        return bad("an address with a prefix length 1..30, e.g. 198.18.0.2/24");
    } else if (name == "--gateway") {
      if (!need()) return ParseResult::Error;
      if (!parse_ip(value, &o->gateway)) return bad("an IPv4 address");
    } else if (name == "--http-port") {
      if (!need()) return ParseResult::Error;
      if (!parse_ports(value, &o->http_ports)) return bad("ports 1..65535 separated by commas");
    } else if (name == "--echo-port") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 0, 65535, &u)) return bad("a port 0..65535");
      o->echo_port = static_cast<uint16_t>(u);
    } else if (name == "--tap") {
      if (!need()) return ParseResult::Error;
      if (value.empty() || value.size() > 15 || value.find_first_of("/ ,=") != std::string_view::npos)
        return bad("an interface name of 1..15 characters");
      o->tap_name = value;
    } else if (name == "--host-addr") {
      if (!need()) return ParseResult::Error;
      if (!parse_cidr(value, &o->host_addr, &o->host_prefix) || o->host_prefix == 0)
        return bad("an address with a prefix length, e.g. 198.18.0.1/24");
      o->host_addr_set = true;
    } else if (name == "--iface") {
      if (!need()) return ParseResult::Error;
      if (value.empty() || value.size() > 15 || value.find_first_of("/ ,=") != std::string_view::npos)
        return bad("an interface name of 1..15 characters");
      o->iface = value;
    } else if (name == "--max-conns") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 16, 1u << 26, &o->max_conns)) return bad("a number 16..67108864");
    } else if (name == "--syn-backlog") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 0, 1u << 26, &o->syn_backlog)) return bad("a number 0..67108864");
    } else if (name == "--buffers") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 64, 1u << 24, &o->buffers)) return bad("a number 64..16777216");
    } else if (name == "--mbufs") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 1024, 1u << 22, &o->mbufs)) return bad("a number 1024..4194304");
    } else if (name == "--stats-interval") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 0, 86400, &o->stats_interval_s)) return bad("seconds 0..86400");
    } else if (name == "--log-level") {
      if (!need()) return ParseResult::Error;
      log::Level l;
      std::string v(value);
      if (!log::parse_level(v.c_str(), &l)) return bad("error, warn, info or debug");
      o->log_level = v;
    } else if (name == "--keepalive") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 0, 86400, &o->keepalive_s)) return bad("seconds 0..86400");
    } else if (name == "--initial-window") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 0, 64, &o->initial_window_segments)) return bad("segments 0..64");
    } else if (name == "--max-message") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 125, 1u << 30, &o->max_message_bytes)) return bad("bytes 125..1073741824");
    } else if (name == "--max-header") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 256, 65536, &o->max_header_bytes)) return bad("bytes 256..65536");
    } else if (name == "--handshake-timeout") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 100, 600000, &o->handshake_timeout_ms)) return bad("milliseconds 100..600000");
    } else if (name == "--capture") {
      if (!need()) return ParseResult::Error;
      std::string_view path = value;
      if (auto comma = value.rfind(','); comma != std::string_view::npos) {
        path = value.substr(0, comma);
        uint64_t n = 0;
        std::string_view num = value.substr(comma + 1);
        auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
        if (ec != std::errc() || p != num.data() + num.size() || n < 4096) return bad("FILE or FILE,BYTES with BYTES >= 4096");
        o->capture_max_bytes = n;
      }
      if (path.empty()) return bad("a file name");
      o->capture_path = path;
    } else if (name == "--replay") {
      if (has_value) return bad("no value");
      o->replay = true;
    } else if (name == "--seed") {
      if (!need()) return ParseResult::Error;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), o->seed);
      if (ec != std::errc() || p != value.data() + value.size() || value.empty()) return bad("an unsigned integer");
      o->seed_set = true;
    } else if (name == "--replay-tail") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 0, 3'600'000, &o->replay_tail_ms)) return bad("milliseconds 0..3600000");
    } else if (name == "--ws-subprotocol") {
      if (!need()) return ParseResult::Error;
      if (!parse_list(value, &o->ws_subprotocols, is_token))
        return bad("subprotocol tokens separated by commas, e.g. chat,superchat");
    } else if (name == "--ws-origin") {
      if (!need()) return ParseResult::Error;
      if (!parse_list(value, &o->ws_origins, is_origin))
        return bad("origins (scheme://host[:port]) separated by commas, e.g. https://example.com");
    } else if (name == "--ws-path") {
      if (!need()) return ParseResult::Error;
      if (!parse_list(value, &o->ws_paths, is_path)) return bad("paths starting with / separated by commas");
      for (const std::string& p : o->ws_paths) {
        if (p == "/healthz" || p == "/metrics") return bad("paths other than /healthz and /metrics (always plain HTTP)");
      }
    } else if (name == "--ws-idle-ping") {
      if (!need()) return ParseResult::Error;
      if (!parse_u32(value, 0, 86400000, &o->ws_idle_ping_ms) || (o->ws_idle_ping_ms != 0 && o->ws_idle_ping_ms < 100))
        return bad("milliseconds 100..86400000, or 0 = off");
    } else {
      *error = fmt::format("unknown option '{}' (see --help)", name);
      return ParseResult::Error;
    }
  }
  // Port collisions would silently shadow one application with another.
  for (uint16_t p : o->http_ports) {
    if (p == o->echo_port) {
      *error = fmt::format("port {} is both an --http-port and the --echo-port", p);
      return ParseResult::Error;
    }
  }
  if (o->host_addr_set && o->host_addr == o->addr) {
    *error = "--host-addr must differ from --addr (the kernel side and the appliance need their own addresses)";
    return ParseResult::Error;
  }
  return ParseResult::Ok;
}

}  // namespace wsgate::app
