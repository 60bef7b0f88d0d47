// Random bytes through every check(): whatever check() accepts must be safe to
// read through every accessor. Each buffer is its own exactly-sized heap
// allocation so that a sanitizer build (-fsanitize=address) turns any read
// past the end into a failure; without one, the length invariants below still
// have to hold.
#include <doctest/doctest.h>

#include <memory>

#include "net/arp.hpp"
#include "net/ethernet.hpp"
#include "net/icmp.hpp"
#include "net/ipv4.hpp"
#include "sample_packets.hpp"

#include "test_support.hpp"

using namespace wsgate::net;
using wsgate::net::test::TestRng;

namespace {

uint64_t touch_all(std::span<const uint8_t> bytes) {
  uint64_t acc = 0;
  if (auto eth = EthernetFrame::check(bytes)) {
    acc += eth->dst().b[5] + eth->src().b[0] + static_cast<uint16_t>(eth->ethertype());
    CHECK(eth->payload().size() + EthernetFrame::kHeaderLen == bytes.size());
  }
  if (auto arp = ArpPacket::check(bytes)) {
    const ArpRepr r = ArpRepr::parse(*arp);
    acc += r.sender_ip + r.target_ip + r.sender_mac.b[5] + r.target_mac.b[5];
  }
  if (auto ip = Ipv4Packet::check(bytes)) {
    CHECK(ip->header_len() >= 20);
    CHECK(ip->bytes().size() == ip->total_len());
    CHECK(ip->total_len() <= bytes.size());
    CHECK(ip->header_len() + ip->payload().size() == ip->total_len());
    acc += ip->verify_checksum() + ip->is_fragment() + ip->src() + ip->dst();
    const Ipv4Repr r = Ipv4Repr::parse(*ip);
    CHECK(r.payload_len == ip->payload().size());
    for (uint8_t b : ip->payload()) acc += b;
  }
  if (auto icmp = IcmpPacket::check(bytes)) {
    acc += icmp->echo_id() + icmp->echo_seq();
    if (auto r = IcmpRepr::parse(*icmp)) {
      for (uint8_t b : r->payload) acc += b;
    }
  }
  return acc;
}

}  // namespace

TEST_CASE("random and mutated buffers never break the views") {
  TestRng rng;
  uint64_t sink = 0;
  for (int round = 0; round < 20000; ++round) {
    const size_t len = rng.next() % 100;
    auto buf = std::make_unique<uint8_t[]>(len ? len : 1);
    if (round % 2 == 0) {
      for (size_t i = 0; i < len; ++i) buf[i] = static_cast<uint8_t>(rng.next());
    } else {
      // A real IPv4 header with a few random bytes flipped: reaches deeper branches.
      const auto& src = samples::kPongIpv4;
      for (size_t i = 0; i < len; ++i) buf[i] = i < src.size() ? src[i] : 0;
      for (int k = 0; k < 3 && len > 0; ++k) buf[rng.next() % len] = static_cast<uint8_t>(rng.next());
      if (len > 0 && rng.next() % 2) buf[0] = static_cast<uint8_t>(0x40 | (rng.next() % 16));
    }
    sink += touch_all(std::span<const uint8_t>(buf.get(), len));
  }
  CHECK(sink != 0);
}
