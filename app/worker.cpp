#include "app/worker.hpp"

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "core/byte_order.hpp"
#include "core/log.hpp"
#include "net/arp.hpp"
#include "net/checksum.hpp"
#include "net/ethernet.hpp"
#include "net/icmp.hpp"
#include "net/ipv4.hpp"
#include "tcp/tcp_wire.hpp"

namespace wsgate::app {

namespace {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr size_t kEthLen = net::EthernetFrame::kHeaderLen;
constexpr size_t kIpLen = 20;
// Shutdown: TcpStack::close_all() FINs every connection and RSTs what is left
// after TcpConfig::close_all_grace_us (5 s); the drain outlasts that by a
// second so the RSTs go out before the port stops.
constexpr uint64_t kDrainUs = 6'000'000;

#define COUNT(field) (++stats_.field)

}  // namespace

Worker::Worker() : echo_(tcp_) {}

bool Worker::init(const Setup& s, std::string* error) {
  opts_ = s.opts;
  port_ = s.port;
  queue_ = s.queue;
  mac_ = net::MacAddr::from_bytes(port_->mac);
  addr_ = opts_->addr;
  netmask_ = opts_->prefix == 0 ? 0 : ~uint32_t{0} << (32 - opts_->prefix);
  sw_rx_cksum_ = !(port_->caps.rx_ip_cksum && port_->caps.rx_tcp_cksum);
  sw_tx_cksum_ = !(port_->caps.tx_ip_cksum && port_->caps.tx_tcp_cksum);
  clock_.init();
  now_us_ = clock_.now_us();
  capture_ = s.capture;
  // A capture must show final checksums, which offload would leave unfilled.
  if (capture_) sw_tx_cksum_ = true;
  if (opts_->replay) {
    if (rte_mbuf_dyn_rx_timestamp_register(&timestamp_offset_, &timestamp_flag_) != 0) {
      *error = "cannot register the mbuf RX timestamp field needed by --replay";
      return false;
    }
    now_us_ = 0;  // until the first frame says what time it is
  }

  if (!arp_.init(1024, 60'000'000, 1'000'000,
                 [](void* pkt, void*) { rte_pktmbuf_free(static_cast<rte_mbuf*>(pkt)); })) {
    *error = "ARP cache allocation failed";
    return false;
  }
  tcp::TcpConfig tc;
  tc.max_connections = opts_->max_conns;
  tc.max_time_wait = opts_->max_conns;
  tc.max_half_open = opts_->syn_backlog;
  tc.buffer_count = opts_->buffers;
  // MSS from the port's MTU so a full segment always fits one frame.
  tc.mss = static_cast<uint16_t>(std::min<uint32_t>(port_->caps.mtu, 1500) - kIpLen - 20);
  tc.keepalive_idle_us = uint64_t{opts_->keepalive_s} * 1'000'000;
  tc.initial_window_segments = opts_->initial_window_segments;
  tc.isn_secret[0] = s.isn_secret[0];
  tc.isn_secret[1] = s.isn_secret[1] ^ queue_;
  const char* err = nullptr;
  if (!tcp_.init(tc, this, now_us_, &err)) {
    *error = fmt::format("TCP stack: {}", err ? err : "init failed");
    return false;
  }
  apps::WsConfig wc;
  wc.max_message_bytes = opts_->max_message_bytes;
  wc.max_header_bytes = opts_->max_header_bytes;
  wc.handshake_timeout_ms = opts_->handshake_timeout_ms;
  wc.subprotocols = opts_->ws_subprotocols;
  wc.allowed_origins = opts_->ws_origins;
  wc.ws_paths = opts_->ws_paths;
  wc.idle_ping_ms = opts_->ws_idle_ping_ms;
  wc.conn_id_limit = tc.max_connections;  // the idle-ping sweep walks every ConnId once per period
  if (!http_.init(tcp_, wc, s.metrics, &err)) {
    *error = fmt::format("HTTP/WebSocket app: {}", err ? err : "init failed");
    return false;
  }
  for (uint16_t p : opts_->http_ports) tcp_.listen(p, &http_);
  if (opts_->echo_port != 0) tcp_.listen(opts_->echo_port, &echo_);
  return true;
}

void Worker::run(const volatile bool* quit) {
  if (queue_ == 0) {
    // Gratuitous ARP (RFC 5227 announcement): peers with a stale entry for
    // our address learn the new MAC before the first connection.
    net::ArpRepr g = net::ArpRepr::request(mac_, addr_, addr_);
    send_arp(g, net::MacAddr::broadcast());
    flush_tx();
  }
  next_stats_us_ = clock_.now_us() + uint64_t{opts_->stats_interval_s} * 1'000'000;
  // The lcore always shows 100 % CPU (it busy-polls); poll_us/busy_us say how
  // much of that did work: a pass is charged to busy_us when it moved frames.
  uint64_t pass_start = clock_.now_us();
  bool pass_busy = false;
  while (!*quit) {
    const uint64_t now = clock_.now_us();
    stats_.poll_us += now - pass_start;
    if (pass_busy) stats_.busy_us += now - pass_start;
    pass_start = now;
    pass_busy = poll_once(now);
  }

  // Drain: FIN every connection, keep serving until they are gone or the
  // deadline passes, so clients see an orderly close rather than silence.
  uint64_t start = clock_.now_us();
  tcp_.close_all(start);
  while (true) {
    uint64_t now = clock_.now_us();
    poll_once(now);
    uint32_t live = tcp_.connections_total() - tcp_.connections(tcp::State::TimeWait);
    if (live == 0 || now - start > kDrainUs) break;
  }
  flush_tx();
}

// One pass: an RX burst, timers, one TX burst. True when it moved a frame.
bool Worker::poll_once(uint64_t now) {
  now_us_ = now;
  rte_mbuf* rx[kBurst];
  uint16_t n = rte_eth_rx_burst(port_->id, queue_, rx, kBurst);
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void*));
    handle_frame(rx[i], now);
  }
  tcp_.poll_timers(now);
  http_.poll(now);
  housekeeping(now);
  const bool worked = n > 0 || tx_count_ > 0;
  flush_tx();
  return worked;
}

void Worker::run_replay(const volatile bool* quit) {
  // net_pcap returns nothing once the file is read; a run of empty polls
  // (the PMD reads synchronously, so one is enough in practice) ends input.
  constexpr int kEmptyPollsAtEnd = 64;
  int empty = 0;
  bool started = false;
  while (!*quit && empty < kEmptyPollsAtEnd) {
    rte_mbuf* rx[kBurst];
    uint16_t n = rte_eth_rx_burst(port_->id, queue_, rx, kBurst);
    empty = n == 0 ? empty + 1 : 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = rx[i];
      if (!(m->ol_flags & timestamp_flag_)) {
        log::error("--replay: port {} gives frames no capture timestamp; use a net_pcap port "
                   "(--vdev net_pcap0,rx_pcap=IN.pcap,tx_pcap=/dev/null)", port_->id);
        for (uint16_t j = i; j < n; ++j) rte_pktmbuf_free(rx[j]);
        replay_failed_ = true;
        return;
      }
      // DPDK 22.11's net_pcap reads captures at microsecond precision.
      uint64_t ts = *RTE_MBUF_DYNFIELD(m, timestamp_offset_, rte_mbuf_timestamp_t*);
      // Time never goes backwards, even in a capture merged out of order.
      if (ts > now_us_) now_us_ = ts;
      if (!started) {
        started = true;
        tcp_.poll_timers(now_us_);  // first sight of time: settle the wheel here
        next_stats_us_ = now_us_ + uint64_t{opts_->stats_interval_s} * 1'000'000;
      }
      // Timers due before this frame fire first, exactly as they would have live.
      tcp_.poll_timers(now_us_);
      http_.poll(now_us_);
      handle_frame(m, now_us_);
    }
    housekeeping(now_us_);
    flush_tx();
  }
  // Let retransmissions, delayed ACKs and timeouts that the input implies
  // happen, in 1 ms steps of virtual time.
  uint64_t end = now_us_ + uint64_t{opts_->replay_tail_ms} * 1000;
  while (!*quit && now_us_ < end) {
    now_us_ += 1000;
    tcp_.poll_timers(now_us_);
    http_.poll(now_us_);
    housekeeping(now_us_);
    flush_tx();
  }
  print_stats_line();
}

void Worker::housekeeping(uint64_t now) {
  if (now >= next_housekeeping_us_) {
    arp_.expire(now, [](void* parked) { rte_pktmbuf_free(static_cast<rte_mbuf*>(parked)); });
    next_housekeeping_us_ = now + 1'000'000;
  }
  if (opts_->stats_interval_s != 0 && now >= next_stats_us_) {  // one line per lcore
    print_stats_line();
    next_stats_us_ = now + uint64_t{opts_->stats_interval_s} * 1'000'000;
  }
}

void Worker::handle_frame(rte_mbuf* m, uint64_t now) {
  COUNT(rx_packets);
  if (capture_) capture_->write(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, now);
  if (m->nb_segs != 1) {
    // Our mbufs hold a full 1500-byte frame; a chained one means jumbo input.
    COUNT(drop_eth_unsupported);
    rte_pktmbuf_free(m);
    return;
  }
  std::span<const uint8_t> bytes(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
  auto eth = net::EthernetFrame::check(bytes);
  if (!eth) {
    COUNT(drop_eth_truncated);
    rte_pktmbuf_free(m);
    return;
  }
  net::MacAddr dst = eth->dst();
  // A replayed capture was taken on another host, addressed to its MAC: in
  // --replay the IPv4 destination alone decides what is ours.
  bool ours = dst == mac_ || dst.is_broadcast() || (opts_->replay && dst.is_unicast());
  if (!ours) {
    COUNT(drop_eth_not_for_us);
    rte_pktmbuf_free(m);
    return;
  }
  switch (eth->ethertype()) {
    case net::EtherType::Arp: handle_arp(m, eth->payload(), now); return;
    case net::EtherType::Ipv4:
      if (dst.is_broadcast()) break;  // no broadcast IP services
      handle_ipv4(m, eth->payload(), now);
      return;
    default: break;
  }
  COUNT(drop_eth_unsupported);
  rte_pktmbuf_free(m);
}

void Worker::handle_arp(rte_mbuf* m, std::span<const uint8_t> payload, uint64_t now) {
  auto pkt = net::ArpPacket::check(payload);
  if (!pkt) {
    COUNT(drop_arp_malformed);
    rte_pktmbuf_free(m);
    return;
  }
  net::ArpRepr arp = net::ArpRepr::parse(*pkt);
  rte_pktmbuf_free(m);
  bool for_us = arp.target_ip == addr_;
  // RFC 826 merge: refresh a known sender; learn it when the packet is for us.
  if (arp.sender_ip != 0 && arp.sender_ip != addr_ && arp.sender_mac.is_unicast()) {
    if (for_us)
      arp_.update(arp.sender_ip, arp.sender_mac, now);
    else
      arp_.refresh(arp.sender_ip, arp.sender_mac, now);
    if (void* parked = arp_.take_parked(arp.sender_ip)) {
      rte_mbuf* pm = static_cast<rte_mbuf*>(parked);
      uint8_t* d = rte_pktmbuf_mtod(pm, uint8_t*);
      arp.sender_mac.write_to(d);
      queue_tx(pm);
    }
  }
  if (!for_us) {
    COUNT(drop_arp_not_for_us);
    return;
  }
  if (arp.op == net::ArpOp::Request) {
    send_arp(net::ArpRepr::reply_to(arp, mac_, addr_), arp.sender_mac);
    COUNT(arp_replies_sent);
  }
}

void Worker::handle_ipv4(rte_mbuf* m, std::span<const uint8_t> payload, uint64_t now) {
  auto ip = net::Ipv4Packet::check(payload);
  if (!ip) {
    COUNT(drop_ip_malformed);
    rte_pktmbuf_free(m);
    return;
  }
  uint64_t ol = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
  bool ip_ok = ol == RTE_MBUF_F_RX_IP_CKSUM_GOOD || (ol != RTE_MBUF_F_RX_IP_CKSUM_BAD && ip->verify_checksum());
  if (!ip_ok) {
    COUNT(drop_ip_bad_checksum);
    rte_pktmbuf_free(m);
    return;
  }
  if (ip->is_fragment()) {
    COUNT(drop_ip_fragment);
    rte_pktmbuf_free(m);
    return;
  }
  if (ip->dst() != addr_) {
    COUNT(drop_ip_not_for_us);
    rte_pktmbuf_free(m);
    return;
  }
  uint32_t src = ip->src();
  // Gleaning: with several lcores only one sees a peer's ARP request, so
  // each lcore also learns an on-link peer's MAC from its IP packets.
  if ((src & netmask_) == (addr_ & netmask_) && !arp_.lookup(src, now)) {
    auto eth = net::EthernetFrame::check(std::span<const uint8_t>(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len));
    if (eth && eth->src().is_unicast()) arp_.update(src, eth->src(), now);
  }
  switch (ip->protocol()) {
    case kProtoIcmp: handle_icmp(m, src, ip->payload(), now); return;
    case kProtoTcp: handle_tcp(m, src, ip->dst(), ip->payload(), now); return;
    default: break;
  }
  COUNT(drop_ip_unsupported_proto);
  rte_pktmbuf_free(m);
}

void Worker::handle_icmp(rte_mbuf* m, uint32_t src, std::span<const uint8_t> icmp, uint64_t now) {
  auto pkt = net::IcmpPacket::check(icmp);
  if (!pkt) {  // check() covers length and checksum
    COUNT(drop_icmp_malformed);
    rte_pktmbuf_free(m);
    return;
  }
  if (pkt->type() != net::IcmpType::EchoRequest) {
    COUNT(drop_icmp_unsupported);
    rte_pktmbuf_free(m);
    return;
  }
  // Build the reply in a fresh mbuf: the request's buffer may be shorter
  // than we would like to reason about in place, and ping is not hot.
  rte_mbuf* out = rte_pktmbuf_alloc(port_->pools[queue_]);
  if (!out) {
    COUNT(drop_tx_no_mbuf);
    rte_pktmbuf_free(m);
    return;
  }
  size_t len = kEthLen + kIpLen + icmp.size();
  uint8_t* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(out, static_cast<uint16_t>(len)));
  if (!d) {
    COUNT(drop_icmp_malformed);
    rte_pktmbuf_free(out);
    rte_pktmbuf_free(m);
    return;
  }
  net::write_echo_reply(*pkt, std::span<uint8_t>(d + kEthLen + kIpLen, icmp.size()));
  rte_pktmbuf_free(m);
  net::Ipv4Repr ip;
  ip.src = addr_;
  ip.dst = src;
  ip.protocol = kProtoIcmp;
  ip.payload_len = static_cast<uint16_t>(icmp.size());
  ip.emit(std::span<uint8_t>(d + kEthLen, kIpLen), true);
  COUNT(icmp_echo_replies);
  send_ipv4_frame(out, src, now);
}

void Worker::handle_tcp(rte_mbuf* m, uint32_t src, uint32_t dst, std::span<const uint8_t> seg, uint64_t now) {
  uint64_t ol = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
  bool ok = ol == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
  if (!ok && ol != RTE_MBUF_F_RX_L4_CKSUM_BAD) {
    uint32_t sum = net::pseudo_header_sum(src, dst, kProtoTcp, static_cast<uint16_t>(seg.size()));
    ok = net::checksum_fold(net::checksum_add(seg, sum)) == 0;
  }
  if (!ok) {
    COUNT(drop_tcp_bad_checksum);
    rte_pktmbuf_free(m);
    return;
  }
  auto pkt = tcp::TcpPacket::check(seg);
  if (!pkt) {
    COUNT(drop_tcp_malformed);
    rte_pktmbuf_free(m);
    return;
  }
  tcp::Segment s;
  s.tuple.remote_ip = src;
  s.tuple.local_ip = dst;
  s.tuple.remote_port = pkt->src_port();
  s.tuple.local_port = pkt->dst_port();
  if (tcp::parse(*pkt, &s.hdr) != tcp::WireError::None) {
    COUNT(drop_tcp_bad_options);
    rte_pktmbuf_free(m);
    return;
  }
  s.payload = pkt->payload();
  // Payload bytes are consumed (copied or handed to the app) inside input().
  tcp_.input(s, now);
  rte_pktmbuf_free(m);
}

void Worker::transmit(const tcp::FourTuple& t, const tcp::TcpRepr& hdr,
                      std::span<const std::span<const uint8_t>> payload) {
  size_t plen = 0;
  for (auto p : payload) plen += p.size();
  size_t thl = tcp::header_len(hdr);
  size_t len = kEthLen + kIpLen + thl + plen;
  rte_mbuf* m = rte_pktmbuf_alloc(port_->pools[queue_]);
  if (!m) {
    COUNT(drop_tx_no_mbuf);  // TCP retransmits; nothing accepted is lost
    return;
  }
  uint8_t* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(len)));
  if (!d) {
    COUNT(drop_tx_no_mbuf);
    rte_pktmbuf_free(m);
    return;
  }
  uint8_t* tcp_start = d + kEthLen + kIpLen;
  tcp::emit(hdr, std::span<uint8_t>(tcp_start, thl));
  uint8_t* p = tcp_start + thl;
  for (auto piece : payload) {
    std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  }
  net::Ipv4Repr ip;
  ip.src = t.local_ip;
  ip.dst = t.remote_ip;
  ip.protocol = kProtoTcp;
  ip.payload_len = static_cast<uint16_t>(thl + plen);
  ip.emit(std::span<uint8_t>(d + kEthLen, kIpLen), sw_tx_cksum_);
  uint16_t tcp_len = static_cast<uint16_t>(thl + plen);
  uint32_t sum = net::pseudo_header_sum(t.local_ip, t.remote_ip, kProtoTcp, tcp_len);
  if (sw_tx_cksum_) {
    core::store_be16(tcp_start + 16, net::checksum_fold(net::checksum_add({tcp_start, tcp_len}, sum)));
  } else {
    // The NIC completes the checksum from the pseudo-header sum we leave in place.
    uint16_t folded = static_cast<uint16_t>(~net::checksum_fold(sum));
    core::store_be16(tcp_start + 16, folded);
    m->l2_len = kEthLen;
    m->l3_len = kIpLen;
    m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
  }
  send_ipv4_frame(m, t.remote_ip, now_us_);
}

void Worker::send_ipv4_frame(rte_mbuf* m, uint32_t dst_ip, uint64_t now) {
  uint32_t next_hop = dst_ip;
  if ((dst_ip & netmask_) != (addr_ & netmask_)) {
    if (opts_->gateway == 0) {
      COUNT(drop_tx_no_route);
      rte_pktmbuf_free(m);
      return;
    }
    next_hop = opts_->gateway;
  }
  uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
  net::EthernetRepr eth;
  eth.src = mac_;
  eth.ethertype = net::EtherType::Ipv4;
  bool refresh_due = false;
  const net::MacAddr* mac = arp_.lookup(next_hop, now, &refresh_due);
  if (mac) {
    // Renew an entry near the end of its life while it still works, so a
    // busy neighbour (the gateway above all) never lapses into "unresolved".
    if (refresh_due) {
      send_arp(net::ArpRepr::request(mac_, addr_, next_hop), *mac);
      COUNT(arp_requests_sent);
    }
    eth.dst = *mac;
    eth.emit(std::span<uint8_t>(d, kEthLen));
    queue_tx(m);
    return;
  }
  eth.emit(std::span<uint8_t>(d, kEthLen));  // destination filled in when ARP answers
  if (void* displaced = arp_.park(next_hop, m)) {
    COUNT(drop_tx_arp_pending);
    rte_pktmbuf_free(static_cast<rte_mbuf*>(displaced));
  }
  if (arp_.should_request(next_hop, now)) {
    send_arp(net::ArpRepr::request(mac_, addr_, next_hop), net::MacAddr::broadcast());
    COUNT(arp_requests_sent);
  }
}

void Worker::send_arp(const net::ArpRepr& arp, const net::MacAddr& dst) {
  rte_mbuf* m = rte_pktmbuf_alloc(port_->pools[queue_]);
  if (!m) {
    COUNT(drop_tx_no_mbuf);
    return;
  }
  // 60 bytes: the Ethernet minimum, padded with zeros.
  uint8_t* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 60));
  std::memset(d, 0, 60);
  net::EthernetRepr eth{dst, mac_, net::EtherType::Arp};
  eth.emit(std::span<uint8_t>(d, kEthLen));
  arp.emit(std::span<uint8_t>(d + kEthLen, net::ArpRepr::kLen));
  queue_tx(m);
}

void Worker::queue_tx(rte_mbuf* m) {
  // Captured when queued, in the order the stack produced it.
  if (capture_) capture_->write(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, now_us_);
  tx_[tx_count_++] = m;
  if (tx_count_ == kBurst) flush_tx();
}

void Worker::flush_tx() {
  uint16_t sent = 0;
  // A few retries absorb a momentarily full ring; beyond that drop and count
  // (TCP's retransmission covers it) rather than stall the loop.
  for (int tries = 0; sent < tx_count_ && tries < 4; ++tries)
    sent += rte_eth_tx_burst(port_->id, queue_, tx_ + sent, tx_count_ - sent);
  stats_.tx_packets += sent;
  for (uint16_t i = sent; i < tx_count_; ++i) {
    COUNT(drop_tx_full);
    rte_pktmbuf_free(tx_[i]);
  }
  tx_count_ = 0;
}

void Worker::print_stats_line() {
  std::string line = fmt::format("stats: q{} rx={} tx={} conns={}", queue_, stats_.rx_packets, stats_.tx_packets,
                                 tcp_.connections_total());
  for (int s = 0; s < tcp::kStateCount; ++s) {
    auto st = static_cast<tcp::State>(s);
    if (st == tcp::State::Closed || st == tcp::State::Listen) continue;
    uint32_t n = tcp_.connections(st);
    if (n) line += fmt::format(" {}={}", tcp::state_name(st), n);
  }
  line += fmt::format(" buffers={}/{} mbufs_free={}", tcp_.buffers_in_use(), tcp_.buffers_total(),
                      rte_mempool_avail_count(port_->pools[queue_]));
  uint64_t drops = 0;
  std::string reasons;
  stats_.for_each([&](const char* name, const char*, uint64_t v) {
    if (v && std::string_view(name).starts_with("drop_")) {
      drops += v;
      reasons += fmt::format(" {}={}", name + 5, v);
    }
  });
  tcp_.stats().for_each([&](const char* name, const char*, uint64_t v) {
    if (v && std::string_view(name).starts_with("drop_")) {
      drops += v;
      // tcp/REASON: the stack's own counter (wsgate_tcp_drop_REASON_total),
      // apart from the worker's tcp_REASON (wsgate_drop_tcp_REASON_total).
      reasons += fmt::format(" tcp/{}={}", name + 5, v);
    }
  });
  if (const uint64_t dt = stats_.poll_us - stats_poll_us_; dt > 0)
    line += fmt::format(" busy={:.1f}%", 100.0 * static_cast<double>(stats_.busy_us - stats_busy_us_) / static_cast<double>(dt));
  stats_poll_us_ = stats_.poll_us;
  stats_busy_us_ = stats_.busy_us;
  line += fmt::format(" drops={}", drops);
  if (!reasons.empty()) line += " [" + reasons.substr(1) + "]";
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace wsgate::app
