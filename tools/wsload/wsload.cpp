// wsload — a WebSocket load generator on kernel sockets.
//
// Opens N WebSocket connections (RFC 6455 client handshake with a random key;
// the 101 and Sec-WebSocket-Accept are checked) to one target at a target
// rate, from many source addresses, spread over forked worker processes (a
// process here may hold at most 20,000 open files, and root cannot raise
// that). Phases, each bounded in time:
//
//   connect   every connection: TCP connect + upgrade, within --connect-timeout
//   hold      --hold SEC: idle, only watching for connections that die
//   messages  --duration SEC: each connection sends a masked text message every
//             --interval SEC (first send jittered over one interval) and times
//             the echo; an echo later than --echo-timeout counts as lost
//   check     --check: every connection sends one more message (spread over
//             --check-spread SEC) and must get it back
//
// Workers (one epoll each) report over a pipe; the parent merges and prints a
// summary (or one JSON object with --json). Progress goes to stderr, one line
// per phase boundary (`wsload: connected ...`), so scripts can measure the
// server while the connections are held.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---------------------------------------------------------------------------
// time, randomness
// ---------------------------------------------------------------------------
uint64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  uint64_t next() {  // xorshift64*
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545f4914f6cdd1dull;
  }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
};

uint64_t os_random_u64() {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) v = now_us() ^ (static_cast<uint64_t>(getpid()) << 32);
  return v;
}

// ---------------------------------------------------------------------------
// SHA-1 and Base64: wsload checks Sec-WebSocket-Accept with its own code, not
// the appliance's, so a shared bug cannot hide.
// ---------------------------------------------------------------------------
std::array<uint8_t, 20> sha1(const uint8_t* data, size_t len) {
  uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
  const uint64_t bits = static_cast<uint64_t>(len) * 8;
  const size_t total = (len + 9 + 63) / 64 * 64;
  std::vector<uint8_t> m(total, 0);
  std::memcpy(m.data(), data, len);
  m[len] = 0x80;
  for (int i = 0; i < 8; ++i) m[total - 1 - static_cast<size_t>(i)] = static_cast<uint8_t>(bits >> (8 * i));
  auto rol = [](uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  for (size_t off = 0; off < total; off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const uint8_t* p = &m[off + static_cast<size_t>(i) * 4];
      w[i] = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    }
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999u; }
      else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1u; }
      else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDCu; }
      else { f = b ^ c ^ d; k = 0xCA62C1D6u; }
      const uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d; d = c; c = rol(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
  }
  std::array<uint8_t, 20> out{};
  for (int i = 0; i < 20; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

std::string base64(const uint8_t* p, size_t n) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t{p[i]} << 16;
    if (i + 1 < n) v |= uint32_t{p[i + 1]} << 8;
    if (i + 2 < n) v |= p[i + 2];
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < n ? tbl[(v >> 6) & 63] : '=';
    out += i + 2 < n ? tbl[v & 63] : '=';
  }
  return out;
}

std::string accept_for(std::string_view key) {
  std::string s(key);
  s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  auto d = sha1(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  return base64(d.data(), d.size());
}

// ---------------------------------------------------------------------------
// latency histogram: 64 linear sub-buckets per power of two (<= 1.6 % error)
// ---------------------------------------------------------------------------
constexpr int kSub = 64;
constexpr int kHistBuckets = 40 * kSub;

struct Hist {
  uint64_t count = 0, sum = 0, max = 0;
  uint64_t b[kHistBuckets] = {};

  static int bucket(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    const int e = 63 - __builtin_clzll(v) - 5;  // v >> e lies in [64, 128)
    const int idx = e * kSub + static_cast<int>(v >> e);
    return std::min(idx, kHistBuckets - 1);
  }
  static uint64_t bucket_high(int idx) {  // largest value in the bucket
    if (idx < 2 * kSub) return static_cast<uint64_t>(idx);
    const int e = idx / kSub - 1;
    const uint64_t sub = static_cast<uint64_t>(idx % kSub + kSub);
    return ((sub + 1) << e) - 1;
  }
  void add(uint64_t v) {
    ++count;
    sum += v;
    max = std::max(max, v);
    ++b[bucket(v)];
  }
  void merge(const Hist& o) {
    count += o.count;
    sum += o.sum;
    max = std::max(max, o.max);
    for (int i = 0; i < kHistBuckets; ++i) b[i] += o.b[i];
  }
  uint64_t quantile(double q) const {
    if (count == 0) return 0;
    const uint64_t want = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count)));
    uint64_t seen = 0;
    for (int i = 0; i < kHistBuckets; ++i) {
      seen += b[i];
      if (seen >= want && seen > 0) return std::min(bucket_high(i), max);
    }
    return max;
  }
};

// ---------------------------------------------------------------------------
// errors by kind
// ---------------------------------------------------------------------------
#define WSLOAD_ERRORS(X)                                                          \
  X(connect_refused, "TCP connect refused (RST)")                                 \
  X(connect_timeout, "TCP connect not completed within --connect-timeout")        \
  X(connect_error, "TCP connect failed otherwise (socket/bind/route errors)")     \
  X(handshake_timeout, "no 101 within --connect-timeout")                         \
  X(handshake_status, "upgrade answered with a status other than 101")            \
  X(bad_accept, "101 without the right Sec-WebSocket-Accept")                     \
  X(handshake_closed, "closed or malformed response during the handshake")        \
  X(closed_early, "an open WebSocket was closed (EOF, RST or close frame)")       \
  X(echo_mismatch, "echo differs from the message sent (or unexpected message)")  \
  X(echo_timeout, "no echo within --echo-timeout")                                \
  X(protocol_error, "bad frame from the server")                                  \
  X(worker_lost, "connections of a worker that died without reporting")

enum Err : int {
#define X(n, h) E_##n,
  WSLOAD_ERRORS(X)
#undef X
  kErrCount
};
const char* kErrName[] = {
#define X(n, h) #n,
    WSLOAD_ERRORS(X)
#undef X
};
const char* kErrHelp[] = {
#define X(n, h) h,
    WSLOAD_ERRORS(X)
#undef X
};

enum ReportType : uint32_t { R_PROGRESS = 1, R_CONNECTED = 2, R_FINAL = 3 };

struct Report {
  uint32_t type = 0;
  uint32_t worker = 0;
  uint64_t assigned = 0, attempted = 0, established = 0, open_now = 0;
  uint64_t errors[kErrCount] = {};
  uint64_t msgs_sent = 0, msgs_echoed = 0, check_sent = 0, check_echoed = 0;
  uint64_t first_start_us = 0, last_established_us = 0;
  Hist connect_lat;  // connect start -> 101 verified
  Hist echo_lat;     // message sent -> echo verified (messages and check)
};

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------
enum class CloseMode { Rst, Fin };

struct Options {
  uint32_t target_ip = 0;  // network order
  uint16_t target_port = 0;
  uint32_t target_ports = 1;  // connection g goes to target_port + g % target_ports
  std::string host;  // Host header
  std::string path = "/";
  uint64_t n = 1000;
  double rate = 1000;
  uint32_t src_base = 0;  // host order; 0 = let the kernel choose
  uint32_t src_count = 0;
  uint32_t port_lo = 1024, port_hi = 65535;
  uint64_t per_worker = 15000;
  uint32_t tick_ms = 0;  // message phase: 0 = wake on every event, N = every N ms
  double interval = 16, connect_timeout = 10, echo_timeout = 10, duration = 0, hold = 0, check_spread = 2;
  bool check = false;
  uint32_t msg_size = 32;
  bool json = false;
  bool progress = false;
  CloseMode close = CloseMode::Rst;
};

const char* kUsage =
    "usage: wsload --target A.B.C.D:PORT [options]\n"
    "  --target A.B.C.D:PORT   WebSocket server (required)\n"
    "  --target-ports K        spread over K consecutive ports from PORT (1): servers whose\n"
    "                          processes cannot share one port\n"
    "  --path PATH             request path (/)\n"
    "  --n N                   connections to open (1000)\n"
    "  --rate R                connection attempts per second, all workers together (1000)\n"
    "  --src A.B.C.D/LEN       source addresses: every host address of the prefix\n"
    "  --src A.B.C.D+COUNT     source addresses: COUNT consecutive ones from A.B.C.D\n"
    "                          (they must be configured on this host; default: kernel's choice)\n"
    "  --ports LO-HI           source ports used with --src (1024-65535)\n"
    "  --per-worker N          connections per worker process (15000; a process may hold 20,000 files)\n"
    "  --connect-timeout SEC   TCP connect + upgrade, per connection (10)\n"
    "  --hold SEC              idle time after connecting, before messages (0)\n"
    "  --duration SEC          message phase length (0 = no message phase)\n"
    "  --interval SEC          one message per connection every SEC (16), jittered\n"
    "  --echo-timeout SEC      an echo later than this is lost (10; must be < --interval)\n"
    "  --tick-ms N             message phase: wake every N ms and handle all that arrived, so\n"
    "                          N ms bound the wakeups at any load; latencies read up to N ms\n"
    "                          late (0 = wake on every event: exact, most CPU; default 0)\n"
    "  --check                 afterwards every connection sends one message that must come back\n"
    "  --check-spread SEC      spread the check messages over SEC (2)\n"
    "  --message-size BYTES    text message size, 16..125 (32)\n"
    "  --close rst|fin         how connections end at exit (rst, the default: no TIME_WAIT anywhere)\n"
    "  --json                  print the result as one JSON object on stdout\n"
    "  --progress              a progress line on stderr every 5 s while connecting\n"
    "exit status: 0 all connections established and every message answered, 1 otherwise, 2 bad options\n";

[[noreturn]] void bad_option(const std::string& what) {
  std::fprintf(stderr, "wsload: %s\n%s", what.c_str(), kUsage);
  std::exit(2);
}

bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double* out) {
  if (s.empty() || s.size() > 30) return false;
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(tmp.c_str(), &end);
  if (errno != 0 || end != tmp.c_str() + tmp.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool parse_ipv4(std::string_view s, uint32_t* host_order) {
  std::string tmp(s);
  in_addr a{};
  if (inet_pton(AF_INET, tmp.c_str(), &a) != 1) return false;
  *host_order = ntohl(a.s_addr);
  return true;
}

std::string ip_str(uint32_t host_order) {
  in_addr a{};
  a.s_addr = htonl(host_order);
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

Options parse_options(int argc, char** argv) {
  Options o;
  bool have_target = false;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    auto flag = [&](const char* f) { return name == f; };
    if (flag("--json")) { o.json = true; continue; }
    if (flag("--check")) { o.check = true; continue; }
    if (flag("--progress")) { o.progress = true; continue; }
    if (i + 1 >= argc) bad_option("option " + name + " needs a value (or is unknown)");
    std::string_view v = argv[++i];
    auto num = [&](double lo, double hi) {
      double d = 0;
      if (!parse_double(v, &d) || d < lo || d > hi)
        bad_option(name + " " + std::string(v) + ": want a number " + std::to_string(lo) + ".." + std::to_string(hi));
      return d;
    };
    auto count = [&](uint64_t lo, uint64_t hi) {
      uint64_t d = 0;
      if (!parse_u64(v, &d) || d < lo || d > hi)
        bad_option(name + " " + std::string(v) + ": want an integer " + std::to_string(lo) + ".." + std::to_string(hi));
      return d;
    };
    if (flag("--target")) {
      auto colon = v.rfind(':');
      uint32_t ip = 0;
      uint64_t port = 0;
      if (colon == std::string_view::npos || !parse_ipv4(v.substr(0, colon), &ip) ||
          !parse_u64(v.substr(colon + 1), &port) || port == 0 || port > 65535)
        bad_option("--target " + std::string(v) + ": want A.B.C.D:PORT");
      o.target_ip = htonl(ip);
      o.target_port = static_cast<uint16_t>(port);
      o.host = std::string(v);
      have_target = true;
    } else if (flag("--target-ports")) {
      o.target_ports = static_cast<uint32_t>(count(1, 1024));
    } else if (flag("--path")) {
      if (v.empty() || v[0] != '/' || v.find_first_of(" \r\n") != std::string_view::npos)
        bad_option("--path " + std::string(v) + ": want /something without spaces");
      o.path = std::string(v);
    } else if (flag("--n")) {
      o.n = count(1, 100'000'000);
    } else if (flag("--rate")) {
      o.rate = num(1, 10'000'000);
    } else if (flag("--src")) {
      auto slash = v.find('/');
      auto plus = v.find('+');
      uint32_t ip = 0;
      if (slash != std::string_view::npos) {
        uint64_t len = 0;
        if (!parse_ipv4(v.substr(0, slash), &ip) || !parse_u64(v.substr(slash + 1), &len) || len < 8 || len > 32)
          bad_option("--src " + std::string(v) + ": want A.B.C.D/LEN with LEN 8..32");
        const uint64_t size = uint64_t{1} << (32 - len);
        const uint32_t net = static_cast<uint32_t>(ip & ~(size - 1));
        if (size <= 2) { o.src_base = net; o.src_count = static_cast<uint32_t>(size); }
        else { o.src_base = net + 1; o.src_count = static_cast<uint32_t>(size - 2); }
      } else if (plus != std::string_view::npos) {
        uint64_t c = 0;
        if (!parse_ipv4(v.substr(0, plus), &ip) || !parse_u64(v.substr(plus + 1), &c) || c == 0 || c > (1u << 24) ||
            uint64_t{ip} + c > 0xffffffffull)
          bad_option("--src " + std::string(v) + ": want A.B.C.D+COUNT with COUNT 1..16777216");
        o.src_base = ip;
        o.src_count = static_cast<uint32_t>(c);
      } else {
        bad_option("--src " + std::string(v) + ": want A.B.C.D/LEN or A.B.C.D+COUNT");
      }
    } else if (flag("--ports")) {
      auto dash = v.find('-');
      uint64_t lo = 0, hi = 0;
      if (dash == std::string_view::npos || !parse_u64(v.substr(0, dash), &lo) || !parse_u64(v.substr(dash + 1), &hi) ||
          lo == 0 || hi > 65535 || lo > hi)
        bad_option("--ports " + std::string(v) + ": want LO-HI within 1..65535");
      o.port_lo = static_cast<uint32_t>(lo);
      o.port_hi = static_cast<uint32_t>(hi);
    } else if (flag("--per-worker")) {
      o.per_worker = count(1, 1'000'000);
    } else if (flag("--tick-ms")) {
      o.tick_ms = static_cast<uint32_t>(count(0, 1000));
    } else if (flag("--connect-timeout")) {
      o.connect_timeout = num(0.1, 3600);
    } else if (flag("--hold")) {
      o.hold = num(0, 86400);
    } else if (flag("--duration")) {
      o.duration = num(0, 86400);
    } else if (flag("--interval")) {
      o.interval = num(0.01, 3600);
    } else if (flag("--echo-timeout")) {
      o.echo_timeout = num(0.01, 3600);
    } else if (flag("--check-spread")) {
      o.check_spread = num(0, 3600);
    } else if (flag("--message-size")) {
      o.msg_size = static_cast<uint32_t>(count(16, 125));
    } else if (flag("--close")) {
      if (v == "rst") o.close = CloseMode::Rst;
      else if (v == "fin") o.close = CloseMode::Fin;
      else bad_option("--close " + std::string(v) + ": want rst or fin");
    } else {
      bad_option("unknown option " + name);
    }
  }
  if (!have_target) bad_option("--target A.B.C.D:PORT is required");
  if (uint32_t{o.target_port} + o.target_ports - 1 > 65535) bad_option("--target-ports goes past port 65535");
  if (o.duration > 0 && o.echo_timeout >= o.interval)
    bad_option("--echo-timeout must be shorter than --interval (one message in flight per connection)");
  if (o.src_count > 0) {
    const uint64_t tuples = uint64_t{o.src_count} * (o.port_hi - o.port_lo + 1);
    if (tuples < o.n)
      bad_option("--src × --ports give " + std::to_string(tuples) + " source (address, port) pairs, fewer than --n " +
                 std::to_string(o.n) + "; widen --src");
  }
  return o;
}

// ---------------------------------------------------------------------------
// a worker: its connections, one epoll
// ---------------------------------------------------------------------------
enum ConnState : uint8_t { C_IDLE, C_CONNECTING, C_HANDSHAKE, C_OPEN, C_DEAD };

constexpr size_t kRxCap = 136;  // one echo of <= 125 bytes (2-byte header) plus room for a ping

struct Conn {
  int fd = -1;
  ConnState state = C_IDLE;
  bool outstanding = false;  // a message is waiting for its echo
  uint8_t rx_len = 0;
  uint32_t seq = 0;
  uint64_t t_us = 0;  // connect start, or send time of the outstanding message
  std::unique_ptr<std::string> hs;  // handshake: expected accept, then the response so far
  uint8_t rx[kRxCap];
};

volatile sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

class Worker {
 public:
  Worker(const Options& o, uint32_t index, uint64_t first, uint64_t count, int report_fd, int go_fd, uint32_t nworkers)
      : o_(o), index_(index), first_(first), conns_(count), report_fd_(report_fd), go_fd_(go_fd),
        rate_(o.rate / nworkers), rng_(os_random_u64() ^ (uint64_t{index} << 40)) {
    rep_.worker = index;
    rep_.assigned = count;
  }

  int run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) { std::perror("wsload: epoll_create1"); return 1; }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kGoTag;
    epoll_ctl(ep_, EPOLL_CTL_ADD, go_fd_, &ev);

    connect_phase();
    send_report(R_CONNECTED);
    // Wait for every worker to finish connecting (the parent closes the go pipe).
    const uint64_t go_deadline = now_us() + static_cast<uint64_t>((o_.n / o_.rate + o_.connect_timeout + 120) * 1e6);
    while (!go_ && !g_stop && now_us() < go_deadline) pump(100);
    if (go_ && !g_stop) {
      const uint64_t hold_end = now_us() + static_cast<uint64_t>(o_.hold * 1e6);
      while (!g_stop && now_us() < hold_end) pump(static_cast<int>(std::min<uint64_t>(100, (hold_end - now_us()) / 1000 + 1)));
      if (o_.duration > 0 && !g_stop) message_phase(o_.duration, o_.interval, false);
      if (o_.check && !g_stop) message_phase(o_.check_spread, 0, true);
    }
    rep_.open_now = count_open();
    send_report(R_FINAL);
    close_all();
    return 0;
  }

 private:
  static constexpr uint64_t kGoTag = ~uint64_t{0};

  uint64_t count_open() const {
    uint64_t n = 0;
    for (const auto& c : conns_) n += c.state == C_OPEN;
    return n;
  }

  void send_report(ReportType t) {
    rep_.type = t;
    const auto* p = reinterpret_cast<const uint8_t*>(&rep_);
    size_t left = sizeof rep_;
    for (int tries = 0; left > 0 && tries < 100000; ++tries) {
      ssize_t w = write(report_fd_, p, left);
      if (w < 0) {
        if (errno == EINTR) continue;
        return;
      }
      p += w;
      left -= static_cast<size_t>(w);
    }
  }

  // --- connect -------------------------------------------------------------
  void connect_phase() {
    const uint64_t t0 = now_us();
    rep_.first_start_us = t0;
    uint64_t started = 0;
    size_t oldest = 0;  // connections start in index order; timeouts are found from the front
    uint64_t pending = 0;
    uint64_t last_progress = t0;
    const uint64_t hard_deadline =
        t0 + static_cast<uint64_t>((static_cast<double>(conns_.size()) / rate_ + o_.connect_timeout + 10) * 1e6);
    const uint64_t timeout_us = static_cast<uint64_t>(o_.connect_timeout * 1e6);
    while (!g_stop) {
      const uint64_t now = now_us();
      if (now > hard_deadline) break;
      const double due = std::min<double>(static_cast<double>(conns_.size()),
                                          static_cast<double>(now - t0) * rate_ / 1e6 + 1.0);
      for (int burst = 0; started < static_cast<uint64_t>(due) && burst < 256; ++burst) {
        if (start_conn(started)) ++pending;
        ++started;
      }
      while (oldest < started) {
        Conn& c = conns_[oldest];
        if (c.state == C_CONNECTING || c.state == C_HANDSHAKE) {
          if (c.t_us + timeout_us > now) break;  // (t_us may be later than now)
          fail(c, c.state == C_CONNECTING ? E_connect_timeout : E_handshake_timeout);
        }
        ++oldest;
      }
      pending = 0;
      for (size_t i = oldest; i < started; ++i) pending += conns_[i].state == C_CONNECTING || conns_[i].state == C_HANDSHAKE;
      if (started == conns_.size() && pending == 0) break;
      if (o_.progress && now - last_progress > 5'000'000) {
        last_progress = now;
        send_report(R_PROGRESS);
      }
      int wait_ms = started < conns_.size() ? 1 : 10;
      pump(wait_ms);
    }
    // Anything still pending at the hard deadline (or on a stop) has failed.
    for (auto& c : conns_) {
      if (c.state == C_CONNECTING) fail(c, E_connect_timeout);
      else if (c.state == C_HANDSHAKE) fail(c, E_handshake_timeout);
    }
  }

  bool start_conn(uint64_t i) {
    Conn& c = conns_[i];
    ++rep_.attempted;
    c.t_us = now_us();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      if (!socket_error_reported_) {
        std::fprintf(stderr, "wsload: worker %u: socket(): %s\n", index_, std::strerror(errno));
        socket_error_reported_ = true;
      }
      c.state = C_DEAD;
      ++rep_.errors[E_connect_error];
      return false;
    }
    c.fd = fd;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o_.src_count > 0) {
      // Global index g -> (address g % A, port lo + g / A): every pair used once.
      const uint64_t g = first_ + i;
      sockaddr_in src{};
      src.sin_family = AF_INET;
      src.sin_addr.s_addr = htonl(o_.src_base + static_cast<uint32_t>(g % o_.src_count));
      src.sin_port = htons(static_cast<uint16_t>(o_.port_lo + g / o_.src_count));
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
        if (!socket_error_reported_) {
          std::fprintf(stderr, "wsload: worker %u: bind %s:%u: %s\n", index_, ip_str(ntohl(src.sin_addr.s_addr)).c_str(),
                       ntohs(src.sin_port), std::strerror(errno));
          socket_error_reported_ = true;
        }
        fail(c, E_connect_error);
        return false;
      }
    }
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = o_.target_ip;
    dst.sin_port = htons(static_cast<uint16_t>(o_.target_port + (first_ + i) % o_.target_ports));
    if (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS) {
      const int e = errno;
      fail(c, e == ECONNREFUSED ? E_connect_refused : E_connect_error);
      if (e != ECONNREFUSED && !socket_error_reported_) {
        std::fprintf(stderr, "wsload: worker %u: connect: %s\n", index_, std::strerror(e));
        socket_error_reported_ = true;
      }
      return false;
    }
    c.state = C_CONNECTING;
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    return true;
  }

  void fail(Conn& c, Err e) {
    ++rep_.errors[e];
    if (c.fd >= 0) {
      linger l{1, 0};
      setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      close(c.fd);  // also leaves the epoll set
      c.fd = -1;
    }
    c.hs.reset();
    c.state = C_DEAD;
    c.outstanding = false;
  }

  void on_writable(uint64_t i) {
    Conn& c = conns_[i];
    if (c.state != C_CONNECTING) return;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      fail(c, err == ECONNREFUSED ? E_connect_refused : err == ETIMEDOUT ? E_connect_timeout : E_connect_error);
      return;
    }
    // The upgrade request with a fresh random key.
    uint8_t nonce[16];
    const uint64_t r1 = rng_.next(), r2 = rng_.next();
    std::memcpy(nonce, &r1, 8);
    std::memcpy(nonce + 8, &r2, 8);
    const std::string key = base64(nonce, sizeof nonce);
    std::string req;
    req.reserve(256);
    req += "GET " + o_.path + " HTTP/1.1\r\nHost: " + o_.host +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
           "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    ssize_t w = send(c.fd, req.data(), req.size(), MSG_NOSIGNAL);
    if (w != static_cast<ssize_t>(req.size())) {  // a fresh socket takes 200 bytes at once
      fail(c, E_handshake_closed);
      return;
    }
    c.hs = std::make_unique<std::string>(accept_for(key));
    c.hs->push_back('\n');  // expected accept, '\n', then the response bytes
    c.state = C_HANDSHAKE;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void on_handshake_data(uint64_t i) {
    Conn& c = conns_[i];
    char buf[2048];
    ssize_t r = recv(c.fd, buf, sizeof buf, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (r <= 0) {
      fail(c, E_handshake_closed);
      return;
    }
    std::string& s = *c.hs;
    const size_t resp_at = s.find('\n') + 1;
    s.append(buf, static_cast<size_t>(r));
    if (s.size() - resp_at > 8192) {
      fail(c, E_handshake_closed);
      return;
    }
    const size_t end = s.find("\r\n\r\n", resp_at);
    if (end == std::string::npos) return;
    std::string_view head(s.data() + resp_at, end - resp_at);
    const std::string_view want(s.data(), resp_at - 1);
    // Status line: HTTP/1.1 101 ...
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/" || head.substr(8, 5) != " 101 ") {
      if (head.size() >= 12 && head.substr(0, 5) == "HTTP/") fail(c, E_handshake_status);
      else fail(c, E_handshake_closed);
      return;
    }
    bool ok = false;
    size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string_view line = head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
      auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        if (name == "sec-websocket-accept") ok = value == want;
      }
      pos = next;
    }
    if (!ok) {
      fail(c, E_bad_accept);
      return;
    }
    // Bytes after the head (a frame already) are kept for the frame reader.
    const size_t extra_at = end + 4;
    const size_t extra = s.size() - extra_at;
    if (extra > kRxCap) {
      fail(c, E_protocol_error);
      return;
    }
    std::memcpy(c.rx, s.data() + extra_at, extra);
    c.rx_len = static_cast<uint8_t>(extra);
    c.hs.reset();
    c.state = C_OPEN;
    const uint64_t now = now_us();
    rep_.connect_lat.add(now - c.t_us);
    ++rep_.established;
    rep_.last_established_us = now;
    if (c.rx_len > 0) parse_frames(c);
  }

  // --- frames --------------------------------------------------------------
  void make_payload(uint64_t g, uint32_t seq, char* out) const {
    char head[48];
    int n = std::snprintf(head, sizeof head, "c%llu-s%u-", static_cast<unsigned long long>(g), seq);
    for (uint32_t k = 0; k < o_.msg_size; ++k) out[k] = k < static_cast<uint32_t>(n) ? head[k] : static_cast<char>('a' + k % 26);
  }

  bool send_frame(Conn& c, uint8_t opcode, const uint8_t* payload, size_t len) {
    uint8_t f[6 + 125];
    f[0] = static_cast<uint8_t>(0x80 | opcode);
    f[1] = static_cast<uint8_t>(0x80 | len);
    const uint32_t mask = static_cast<uint32_t>(rng_.next());
    std::memcpy(f + 2, &mask, 4);
    for (size_t k = 0; k < len; ++k) f[6 + k] = payload[k] ^ f[2 + k % 4];
    ssize_t w = send(c.fd, f, 6 + len, MSG_NOSIGNAL);
    return w == static_cast<ssize_t>(6 + len);
  }

  void send_message(uint64_t i, bool check) {
    Conn& c = conns_[i];
    char p[125];
    ++c.seq;
    make_payload(first_ + i, c.seq, p);
    c.outstanding = true;
    c.t_us = now_us();
    if (!send_frame(c, 0x1, reinterpret_cast<uint8_t*>(p), o_.msg_size)) {
      fail(c, E_closed_early);
      return;
    }
    ++(check ? rep_.check_sent : rep_.msgs_sent);
  }

  void on_open_data(uint64_t i) {
    Conn& c = conns_[i];
    ssize_t r = recv(c.fd, c.rx + c.rx_len, kRxCap - c.rx_len, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (r <= 0) {
      fail(c, E_closed_early);
      return;
    }
    c.rx_len = static_cast<uint8_t>(c.rx_len + r);
    parse_frames(c);
  }

  void parse_frames(Conn& c) {
    const uint64_t i = static_cast<uint64_t>(&c - conns_.data());
    for (int guard = 0; guard < 16 && c.state == C_OPEN; ++guard) {
      if (c.rx_len < 2) return;
      const uint8_t b0 = c.rx[0], b1 = c.rx[1];
      const uint8_t opcode = b0 & 0x0f;
      size_t len = b1 & 0x7f;
      size_t hdr = 2;
      if ((b1 & 0x80) != 0 || (b0 & 0x70) != 0 || len == 127) {  // server frames are unmasked; no extensions
        fail(c, E_protocol_error);
        return;
      }
      if (len == 126) {
        if (c.rx_len < 4) return;
        len = (size_t{c.rx[2]} << 8) | c.rx[3];
        hdr = 4;
      }
      if (hdr + len > kRxCap) {
        fail(c, E_protocol_error);
        return;
      }
      if (c.rx_len < hdr + len) return;
      const uint8_t* pl = c.rx + hdr;
      if (opcode == 0x1 && (b0 & 0x80)) {
        char want[125];
        make_payload(first_ + i, c.seq, want);
        if (!c.outstanding || len != o_.msg_size || std::memcmp(want, pl, len) != 0) {
          fail(c, E_echo_mismatch);
          return;
        }
        c.outstanding = false;
        const uint64_t lat = now_us() - c.t_us;
        rep_.echo_lat.add(lat);
        if (lat > static_cast<uint64_t>(o_.echo_timeout * 1e6)) ++rep_.errors[E_echo_timeout];  // late is lost
        ++(in_check_ ? rep_.check_echoed : rep_.msgs_echoed);
      } else if (opcode == 0x9) {
        if (!send_frame(c, 0xA, pl, len)) {
          fail(c, E_closed_early);
          return;
        }
      } else if (opcode == 0xA) {
        // unsolicited pong: ignore
      } else if (opcode == 0x8) {
        fail(c, E_closed_early);
        return;
      } else {
        fail(c, E_protocol_error);
        return;
      }
      const size_t used = hdr + len;
      std::memmove(c.rx, c.rx + used, c.rx_len - used);
      c.rx_len = static_cast<uint8_t>(c.rx_len - used);
    }
  }

  // --- event pump ----------------------------------------------------------
  // Handles what epoll reports within timeout_ms; returns how many events.
  int pump(int timeout_ms) {
    epoll_event evs[512];
    int n = epoll_wait(ep_, evs, 512, timeout_ms);
    for (int k = 0; k < n; ++k) {
      const uint64_t tag = evs[k].data.u64;
      if (tag == kGoTag) {
        go_ = true;
        epoll_ctl(ep_, EPOLL_CTL_DEL, go_fd_, nullptr);
        continue;
      }
      if (tag >= conns_.size()) continue;
      Conn& c = conns_[tag];
      const uint32_t e = evs[k].events;
      switch (c.state) {
        case C_CONNECTING:
          if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_writable(tag);
          break;
        case C_HANDSHAKE:
          on_handshake_data(tag);
          break;
        case C_OPEN:
          if (e & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) on_open_data(tag);
          break;
        default:
          break;
      }
    }
    return n;
  }

  // --tick-ms: sleep to the next tick, then take everything that is ready.
  // With 50+ workers sharing a core, waking per event costs more CPU in
  // context switches than the sends and receives themselves.
  void pump_tick(uint64_t t0) {
    const uint64_t tick = uint64_t{o_.tick_ms} * 1000;
    const uint64_t now = now_us();
    const uint64_t next = t0 + ((now - t0) / tick + 1) * tick;
    const timespec ts{static_cast<time_t>((next - now) / 1'000'000), static_cast<long>((next - now) % 1'000'000) * 1000};
    nanosleep(&ts, nullptr);
    for (int guard = 0; guard < 64 && pump(0) == 512; ++guard) {
    }
  }

  // Each open connection sends at offset_i + k*interval (offset uniform over
  // one interval, or over the spread for the check). Connections are kept in
  // offset order, so the next one due is always at the front: O(1) per send.
  void message_phase(double length_s, double interval_s, bool check) {
    in_check_ = check;
    std::vector<std::pair<uint64_t, uint32_t>> order;  // (offset us, conn)
    order.reserve(conns_.size());
    const double spread = check ? length_s : interval_s;
    for (size_t i = 0; i < conns_.size(); ++i)
      if (conns_[i].state == C_OPEN)
        order.emplace_back(static_cast<uint64_t>(rng_.unit() * spread * 1e6), static_cast<uint32_t>(i));
    std::sort(order.begin(), order.end());
    const uint64_t t0 = now_us();
    const uint64_t end = t0 + static_cast<uint64_t>(length_s * 1e6);
    const uint64_t period = check ? ~uint64_t{0} / 4 : static_cast<uint64_t>(interval_s * 1e6);
    const uint64_t echo_to = static_cast<uint64_t>(o_.echo_timeout * 1e6);
    size_t p = 0;
    uint64_t round = 0;
    bool done = order.empty();
    while (!g_stop && !done) {
      const uint64_t now = now_us();
      for (int burst = 0; burst < 4096; ++burst) {
        const uint64_t due = t0 + order[p].first + round * period;
        if ((check && round > 0) || (!check && due >= end)) { done = true; break; }
        if (due > now) break;
        Conn& c = conns_[order[p].second];
        if (c.state == C_OPEN) {
          if (c.outstanding) fail(c, E_echo_timeout);  // unanswered a whole interval later: lost
          else send_message(order[p].second, check);
        }
        if (++p == order.size()) { p = 0; ++round; }
      }
      if (!done) {
        if (o_.tick_ms > 0) pump_tick(t0);
        else pump(1);
      }
    }
    // Drain: wait for the echoes still in flight, at most --echo-timeout.
    const uint64_t drain_end = now_us() + echo_to;
    while (!g_stop && now_us() < drain_end) {
      bool any = false;
      for (const auto& c : conns_) if (c.state == C_OPEN && c.outstanding) { any = true; break; }
      if (!any) break;
      pump(5);
    }
    for (auto& c : conns_) if (c.state == C_OPEN && c.outstanding) fail(c, E_echo_timeout);
    in_check_ = false;
  }

  void close_all() {
    for (auto& c : conns_) {
      if (c.fd < 0) continue;
      if (o_.close == CloseMode::Rst) {
        linger l{1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
      close(c.fd);
      c.fd = -1;
    }
  }

  const Options& o_;
  uint32_t index_;
  uint64_t first_;
  std::vector<Conn> conns_;
  int report_fd_, go_fd_;
  double rate_;
  Rng rng_;
  int ep_ = -1;
  bool go_ = false;
  bool in_check_ = false;
  bool socket_error_reported_ = false;
  Report rep_;
};

// ---------------------------------------------------------------------------
// the parent: fork, merge, print
// ---------------------------------------------------------------------------
struct Child {
  pid_t pid = -1;
  int fd = -1;
  uint64_t assigned = 0;
  std::vector<uint8_t> buf;
  Report last;
  bool connected = false, final = false, eof = false;
};

void read_reports(std::vector<Child>& kids, int timeout_ms) {
  std::vector<pollfd> pfds;
  std::vector<size_t> which;
  for (size_t k = 0; k < kids.size(); ++k)
    if (!kids[k].eof) {
      pfds.push_back({kids[k].fd, POLLIN, 0});
      which.push_back(k);
    }
  if (pfds.empty()) return;
  int n = poll(pfds.data(), pfds.size(), timeout_ms);
  if (n <= 0) return;
  for (size_t j = 0; j < pfds.size(); ++j) {
    if (!(pfds[j].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    Child& ch = kids[which[j]];
    uint8_t tmp[65536];
    ssize_t r = read(ch.fd, tmp, sizeof tmp);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      ch.eof = true;
      continue;
    }
    ch.buf.insert(ch.buf.end(), tmp, tmp + r);
    while (ch.buf.size() >= sizeof(Report)) {
      std::memcpy(static_cast<void*>(&ch.last), ch.buf.data(), sizeof(Report));
      ch.buf.erase(ch.buf.begin(), ch.buf.begin() + static_cast<long>(sizeof(Report)));
      if (ch.last.type == R_CONNECTED) ch.connected = true;
      if (ch.last.type == R_FINAL) ch.connected = ch.final = true;
    }
  }
}

std::unique_ptr<Report> merge(const std::vector<Child>& kids, bool final) {
  auto m = std::make_unique<Report>();
  m->first_start_us = ~uint64_t{0};
  for (const auto& ch : kids) {
    const Report& r = ch.last;
    m->assigned += ch.assigned;
    if (r.type == 0) {  // never reported: all its connections are lost
      if (final) m->errors[E_worker_lost] += ch.assigned;
      continue;
    }
    if (final && ch.eof && !ch.final) m->errors[E_worker_lost] += r.established;
    m->attempted += r.attempted;
    m->established += r.established;
    m->open_now += r.open_now;
    for (int e = 0; e < kErrCount; ++e) m->errors[e] += r.errors[e];
    m->msgs_sent += r.msgs_sent;
    m->msgs_echoed += r.msgs_echoed;
    m->check_sent += r.check_sent;
    m->check_echoed += r.check_echoed;
    m->first_start_us = std::min(m->first_start_us, r.first_start_us);
    m->last_established_us = std::max(m->last_established_us, r.last_established_us);
    m->connect_lat.merge(r.connect_lat);
    m->echo_lat.merge(r.echo_lat);
  }
  if (m->first_start_us == ~uint64_t{0}) m->first_start_us = 0;
  return m;
}

double connect_rate(const Report& r) {
  if (r.established == 0 || r.last_established_us <= r.first_start_us) return 0;
  return static_cast<double>(r.established) / (static_cast<double>(r.last_established_us - r.first_start_us) / 1e6);
}

uint64_t total_errors(const Report& r) {
  uint64_t t = 0;
  for (int e = 0; e < kErrCount; ++e) t += r.errors[e];
  return t;
}

void print_progress(const char* what, const Report& r, double elapsed) {
  std::fprintf(stderr, "wsload: %s established=%llu failed=%llu attempted=%llu of %llu rate=%.0f/s t=%.1fs\n", what,
               static_cast<unsigned long long>(r.established), static_cast<unsigned long long>(total_errors(r)),
               static_cast<unsigned long long>(r.attempted), static_cast<unsigned long long>(r.assigned),
               connect_rate(r), elapsed);
  std::fflush(stderr);
}

void print_result(const Options& o, const Report& r, size_t workers, double wall_s, bool ok) {
  const double ms = 1e-3;
  if (o.json) {
    std::printf("{\"n\":%llu,\"workers\":%zu,\"attempted\":%llu,\"established\":%llu,\"open_at_end\":%llu,"
                "\"failed\":%llu,\"connect_rate\":%.1f,\"wall_s\":%.2f,",
                static_cast<unsigned long long>(o.n), workers, static_cast<unsigned long long>(r.attempted),
                static_cast<unsigned long long>(r.established), static_cast<unsigned long long>(r.open_now),
                static_cast<unsigned long long>(total_errors(r)), connect_rate(r), wall_s);
    std::printf("\"connect_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},",
                static_cast<double>(r.connect_lat.quantile(0.5)) * ms,
                static_cast<double>(r.connect_lat.quantile(0.99)) * ms, static_cast<double>(r.connect_lat.max) * ms);
    std::printf("\"messages_sent\":%llu,\"messages_echoed\":%llu,\"check_sent\":%llu,\"check_echoed\":%llu,",
                static_cast<unsigned long long>(r.msgs_sent), static_cast<unsigned long long>(r.msgs_echoed),
                static_cast<unsigned long long>(r.check_sent), static_cast<unsigned long long>(r.check_echoed));
    std::printf("\"echo_ms\":{\"count\":%llu,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},",
                static_cast<unsigned long long>(r.echo_lat.count), static_cast<double>(r.echo_lat.quantile(0.5)) * ms,
                static_cast<double>(r.echo_lat.quantile(0.99)) * ms, static_cast<double>(r.echo_lat.max) * ms);
    std::printf("\"errors\":{");
    for (int e = 0; e < kErrCount; ++e)
      std::printf("%s\"%s\":%llu", e ? "," : "", kErrName[e], static_cast<unsigned long long>(r.errors[e]));
    std::printf("},\"ok\":%s}\n", ok ? "true" : "false");
    std::fflush(stdout);
    return;
  }
  std::printf("wsload: %llu connections to %s%s over %zu worker(s), %.1f s\n", static_cast<unsigned long long>(o.n),
              o.host.c_str(), o.path.c_str(), workers, wall_s);
  std::printf("  established  %llu of %llu attempted (open at the end: %llu), failed %llu\n",
              static_cast<unsigned long long>(r.established), static_cast<unsigned long long>(r.attempted),
              static_cast<unsigned long long>(r.open_now), static_cast<unsigned long long>(total_errors(r)));
  std::printf("  connect rate %.0f/s; connect+upgrade p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", connect_rate(r),
              static_cast<double>(r.connect_lat.quantile(0.5)) * ms, static_cast<double>(r.connect_lat.quantile(0.99)) * ms,
              static_cast<double>(r.connect_lat.max) * ms);
  std::printf("  messages     sent %llu, echoed %llu; check sent %llu, echoed %llu\n",
              static_cast<unsigned long long>(r.msgs_sent), static_cast<unsigned long long>(r.msgs_echoed),
              static_cast<unsigned long long>(r.check_sent), static_cast<unsigned long long>(r.check_echoed));
  std::printf("  echo latency p50 %.2f ms, p99 %.2f ms, max %.2f ms (%llu samples)\n",
              static_cast<double>(r.echo_lat.quantile(0.5)) * ms, static_cast<double>(r.echo_lat.quantile(0.99)) * ms,
              static_cast<double>(r.echo_lat.max) * ms, static_cast<unsigned long long>(r.echo_lat.count));
  for (int e = 0; e < kErrCount; ++e)
    if (r.errors[e])
      std::printf("  error %-18s %llu  (%s)\n", kErrName[e], static_cast<unsigned long long>(r.errors[e]), kErrHelp[e]);
  std::printf("  result: %s\n", ok ? "OK" : "FAILED");
  std::fflush(stdout);
}

bool self_test() {
  // RFC 6455 §1.3's example.
  return accept_for("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
}

}  // namespace

int main(int argc, char** argv) {
  if (!self_test()) {
    std::fprintf(stderr, "wsload: internal SHA-1/Base64 self-test failed\n");
    return 1;
  }
  const Options o = parse_options(argc, argv);

  // File limit: each worker needs per-worker sockets plus a few.
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  const uint64_t per_worker = std::min(o.per_worker, o.n);
  if (per_worker + 32 > rl.rlim_cur)
    bad_option("--per-worker " + std::to_string(per_worker) + " needs " + std::to_string(per_worker + 32) +
               " open files per process, but the limit is " + std::to_string(rl.rlim_cur) + "; lower --per-worker");
  const size_t nworkers = static_cast<size_t>((o.n + per_worker - 1) / per_worker);
  if (nworkers > 4096) bad_option("more than 4096 workers; raise --per-worker");

  // Are the source addresses configured? Binding the first and the last tells.
  if (o.src_count > 0) {
    for (uint32_t a : {o.src_base, o.src_base + o.src_count - 1}) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in s{};
      s.sin_family = AF_INET;
      s.sin_addr.s_addr = htonl(a);
      int rc = fd >= 0 ? bind(fd, reinterpret_cast<sockaddr*>(&s), sizeof s) : -1;
      const int e = errno;
      if (fd >= 0) close(fd);
      if (rc != 0) {
        std::fprintf(stderr, "wsload: source address %s is not usable here (%s); add the --src range to an interface "
                             "(ip addr add %s/32 dev IF)\n", ip_str(a).c_str(), std::strerror(e), ip_str(a).c_str());
        return 2;
      }
    }
  }

  struct sigaction sa{};
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) { std::perror("wsload: pipe"); return 1; }
  const uint64_t t_start = now_us();
  std::vector<Child> kids(nworkers);
  for (size_t w = 0; w < nworkers; ++w) {
    const uint64_t first = w * per_worker;
    const uint64_t count = std::min<uint64_t>(per_worker, o.n - first);
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) { std::perror("wsload: pipe"); return 1; }
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) { std::perror("wsload: fork"); return 1; }
    if (pid == 0) {
      close(p[0]);
      close(go[1]);
      for (size_t k = 0; k < w; ++k) close(kids[k].fd);
      int rc = 0;
      {
        auto worker = std::make_unique<Worker>(o, static_cast<uint32_t>(w), first, count, p[1], go[0],
                                               static_cast<uint32_t>(nworkers));
        rc = worker->run();
      }
      _exit(rc);
    }
    close(p[1]);
    kids[w].pid = pid;
    kids[w].fd = p[0];
    kids[w].assigned = count;
  }
  close(go[0]);

  auto forward_stop = [&] {
    for (auto& ch : kids) if (ch.pid > 0) kill(ch.pid, SIGTERM);
  };
  bool forwarded = false;

  // Phase 1: every worker reports "connected" (bounded).
  const uint64_t connect_bound = t_start + static_cast<uint64_t>((o.n / o.rate + o.connect_timeout + 60) * 1e6);
  uint64_t last_progress = now_us();
  for (;;) {
    bool all = true;
    for (auto& ch : kids) all = all && (ch.connected || ch.eof);
    if (all || now_us() > connect_bound) break;
    if (g_stop && !forwarded) { forward_stop(); forwarded = true; }
    read_reports(kids, 200);
    if (o.progress && now_us() - last_progress > 5'000'000) {
      last_progress = now_us();
      print_progress("connecting", *merge(kids, false), static_cast<double>(now_us() - t_start) / 1e6);
    }
  }
  print_progress("connected", *merge(kids, false), static_cast<double>(now_us() - t_start) / 1e6);
  if (o.hold > 0) std::fprintf(stderr, "wsload: holding for %.1f s\n", o.hold);
  if (o.duration > 0) std::fprintf(stderr, "wsload: then messages every %.1f s for %.1f s\n", o.interval, o.duration);
  std::fflush(stderr);
  close(go[1]);  // go

  // Phase 2: final reports (bounded), then reap.
  const uint64_t final_bound =
      now_us() + static_cast<uint64_t>((o.hold + o.duration + o.check_spread + 2 * o.echo_timeout + 60) * 1e6);
  for (;;) {
    bool all = true;
    for (auto& ch : kids) all = all && (ch.final || ch.eof);
    if (all || now_us() > final_bound) break;
    if (g_stop && !forwarded) { forward_stop(); forwarded = true; }
    read_reports(kids, 200);
  }
  for (auto& ch : kids) {
    if (!ch.final && ch.pid > 0) kill(ch.pid, SIGKILL);
  }
  const uint64_t reap_bound = now_us() + 60'000'000;
  for (auto& ch : kids) {
    while (ch.pid > 0) {
      int st = 0;
      pid_t r = waitpid(ch.pid, &st, WNOHANG);
      if (r == ch.pid || (r < 0 && errno != EINTR)) break;
      if (now_us() > reap_bound) { kill(ch.pid, SIGKILL); waitpid(ch.pid, &st, 0); break; }
      usleep(10000);
    }
    close(ch.fd);
  }
  auto m = merge(kids, true);
  const uint64_t want_echo = m->msgs_sent + m->check_sent;
  const bool ok = m->established == o.n && total_errors(*m) == 0 &&
                  m->msgs_echoed + m->check_echoed == want_echo && (!o.check || m->check_echoed == m->open_now);
  print_result(o, *m, nworkers, static_cast<double>(now_us() - t_start) / 1e6, ok);
  return ok ? 0 : 1;
}
