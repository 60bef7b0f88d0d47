#include "net/arp.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "net/ethernet.hpp"
#include "sample_packets.hpp"
#include "test_support.hpp"

using namespace wsgate::net;

namespace {

const MacAddr kMacA{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const MacAddr kMacB{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
constexpr uint32_t kIpA = 0x0a000001;  // 10.0.0.1
constexpr uint32_t kIpB = 0x0a000002;  // 10.0.0.2

// The ARP payload of the scapy frame, padding included (46 bytes).
std::vector<uint8_t> arp_bytes() {
  return std::vector<uint8_t>(samples::kArpRequestFrame.begin() + 14, samples::kArpRequestFrame.end());
}

ArpError check_error(const std::vector<uint8_t>& bytes) { return ArpPacket::check(bytes).error(); }

}  // namespace

TEST_CASE("ArpPacket: a real request (with Ethernet padding) parses") {
  const auto bytes = arp_bytes();
  auto packet = ArpPacket::check(bytes);
  REQUIRE_OR_RETURN(packet);
  CHECK(packet->bytes().size() == 28);
  const ArpRepr repr = ArpRepr::parse(*packet);
  CHECK(repr.op == ArpOp::Request);
  CHECK(repr.sender_mac == kMacA);
  CHECK(repr.sender_ip == kIpA);
  CHECK(repr.target_mac == MacAddr{});
  CHECK(repr.target_ip == kIpB);
  CHECK(repr == ArpRepr::request(kMacA, kIpA, kIpB));
}

TEST_CASE("ArpPacket: truncated at every length below 28") {
  const auto bytes = arp_bytes();
  for (size_t len = 0; len < ArpPacket::kLen; ++len) {
    CAPTURE(len);
    auto r = ArpPacket::check(std::span(bytes).first(len));
    CHECK_FALSE(r);
    CHECK(r.error() == ArpError::truncated);
  }
  CHECK(ArpPacket::check(std::span(bytes).first(28)));
}

TEST_CASE("ArpPacket: anything but Ethernet/IPv4 is unsupported_format") {
  struct Case { size_t offset; uint8_t value; };
  // htype, ptype (both bytes), hlen, plen
  for (Case c : {Case{1, 6}, Case{0, 1}, Case{2, 0x86}, Case{3, 0xdd}, Case{4, 8}, Case{5, 16}}) {
    auto bytes = arp_bytes();
    bytes[c.offset] = c.value;
    CAPTURE(c.offset);
    CHECK(check_error(bytes) == ArpError::unsupported_format);
    CHECK(error_name(check_error(bytes)) == "unsupported_format");
  }
}

TEST_CASE("ArpPacket: operations other than 1 and 2 are bad_operation") {
  for (uint16_t op : {0, 3, 4, 0x0100, 0xffff}) {
    auto bytes = arp_bytes();
    bytes[6] = static_cast<uint8_t>(op >> 8);
    bytes[7] = static_cast<uint8_t>(op);
    CAPTURE(op);
    CHECK(check_error(bytes) == ArpError::bad_operation);
  }
  auto reply = arp_bytes();
  reply[7] = 2;
  auto packet = ArpPacket::check(reply);
  REQUIRE_OR_RETURN(packet);
  CHECK(packet->op() == ArpOp::Reply);
}

TEST_CASE("ArpRepr: emit reproduces scapy's bytes; round trip") {
  const ArpRepr request = ArpRepr::request(kMacA, kIpA, kIpB);
  std::array<uint8_t, 28> out{};
  REQUIRE_OR_RETURN(request.emit(out));
  const auto expected = arp_bytes();
  CHECK(std::equal(out.begin(), out.end(), expected.begin()));

  std::array<uint8_t, 27> too_short{};
  CHECK_FALSE(request.emit(too_short));

  const ArpRepr reply = ArpRepr::reply_to(request, kMacB, kIpB);
  CHECK(reply.op == ArpOp::Reply);
  CHECK(reply.sender_mac == kMacB);
  CHECK(reply.sender_ip == kIpB);
  CHECK(reply.target_mac == kMacA);
  CHECK(reply.target_ip == kIpA);
  REQUIRE_OR_RETURN(reply.emit(out));
  auto parsed = ArpPacket::check(out);
  REQUIRE_OR_RETURN(parsed);
  CHECK(ArpRepr::parse(*parsed) == reply);
}

TEST_CASE("error names are distinct counter names") {
  CHECK(error_name(ArpError::truncated) == "truncated");
  CHECK(error_name(ArpError::bad_operation) == "bad_operation");
  CHECK(error_name(ArpError::none) == "none");
}
