// One lcore's share of the appliance: its RX/TX queue pair, its TCP stack,
// ARP cache and applications. Nothing here is shared with another lcore.
#pragma once
#include <cstdint>
#include <string>

#include "app/clock.hpp"
#include "app/options.hpp"
#include "app/pcap_writer.hpp"
#include "app/worker_stats.hpp"
#include "apps/http_ws_app.hpp"
#include "apps/tcp_echo.hpp"
#include "drivers/port.hpp"
#include "net/arp.hpp"
#include "net/arp_cache.hpp"
#include "net/mac_addr.hpp"
#include "tcp/tcp_stack.hpp"

struct rte_mbuf;

namespace wsgate::app {

class Worker final : public tcp::TcpOutput {
 public:
  struct Setup {
    const Options* opts = nullptr;
    drivers::Port* port = nullptr;
    uint16_t queue = 0;
    uint64_t isn_secret[2] = {};
    apps::MetricsSource* metrics = nullptr;
    PcapWriter* capture = nullptr;  // --capture, this lcore's file
  };

  Worker();
  bool init(const Setup& s, std::string* error);
  // The loop: until *quit, then drain (FIN every connection, bounded in time).
  void run(const volatile bool* quit);
  // --replay: every frame's time is its capture timestamp; when the input
  // ends, timers run on for replay_tail_ms of virtual time, then it returns.
  void run_replay(const volatile bool* quit);

  void transmit(const tcp::FourTuple& tuple, const tcp::TcpRepr& hdr,
                std::span<const std::span<const uint8_t>> payload) override;

  const WorkerStats& stats() const { return stats_; }
  const tcp::TcpStack& tcp() const { return tcp_; }
  const apps::HttpWsApp& http() const { return http_; }
  uint16_t queue() const { return queue_; }
  bool replay_failed() const { return replay_failed_; }

 private:
  bool poll_once(uint64_t now);
  void housekeeping(uint64_t now);
  void handle_frame(rte_mbuf* m, uint64_t now);
  void handle_arp(rte_mbuf* m, std::span<const uint8_t> payload, uint64_t now);
  void handle_ipv4(rte_mbuf* m, std::span<const uint8_t> payload, uint64_t now);
  void handle_icmp(rte_mbuf* m, uint32_t src, std::span<const uint8_t> icmp, uint64_t now);
  void handle_tcp(rte_mbuf* m, uint32_t src, uint32_t dst, std::span<const uint8_t> seg, uint64_t now);
  // Ethernet header filled from ARP and queued; or parked awaiting ARP.
  void send_ipv4_frame(rte_mbuf* m, uint32_t dst_ip, uint64_t now);
  void send_arp(const net::ArpRepr& arp, const net::MacAddr& dst);
  void queue_tx(rte_mbuf* m);
  void flush_tx();
  void print_stats_line();

  const Options* opts_ = nullptr;
  drivers::Port* port_ = nullptr;
  uint16_t queue_ = 0;
  net::MacAddr mac_;
  uint32_t addr_ = 0;
  uint32_t netmask_ = 0;
  bool sw_rx_cksum_ = true;
  bool sw_tx_cksum_ = true;
  uint64_t now_us_ = 0;
  uint64_t next_housekeeping_us_ = 0;
  uint64_t next_stats_us_ = 0;
  uint64_t stats_poll_us_ = 0;  // poll_us / busy_us at the last stats line
  uint64_t stats_busy_us_ = 0;

  TscClock clock_;
  PcapWriter* capture_ = nullptr;
  int timestamp_offset_ = -1;   // mbuf dynfield of RX timestamps (replay)
  uint64_t timestamp_flag_ = 0;
  bool replay_failed_ = false;
  WorkerStats stats_;
  net::ArpCache arp_;
  tcp::TcpStack tcp_;
  apps::HttpWsApp http_;
  apps::TcpEcho echo_;

  static constexpr uint16_t kBurst = 32;
  rte_mbuf* tx_[kBurst] = {};
  uint16_t tx_count_ = 0;
};

}  // namespace wsgate::app
