#include "net/ethernet.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "sample_packets.hpp"
#include "test_support.hpp"

using namespace wsgate::net;

namespace {
const MacAddr kMacA{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const MacAddr kMacB{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
}  // namespace

TEST_CASE("MacAddr: broadcast, multicast, to_string, parse") {
  CHECK(MacAddr::broadcast().is_broadcast());
  CHECK(MacAddr::broadcast().is_multicast());
  CHECK_FALSE(kMacA.is_broadcast());
  CHECK_FALSE(kMacA.is_multicast());
  CHECK(MacAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}}.is_multicast());
  CHECK(MacAddr{}.is_zero());
  CHECK(kMacA != kMacB);
  CHECK(kMacA.to_string() == "02:00:00:00:00:01");
  CHECK(fmt::format("[{}]", kMacB) == "[02:00:00:00:00:02]");
  CHECK(MacAddr{{0xde, 0xad, 0xbe, 0xef, 0x0a, 0xff}}.to_string() == "de:ad:be:ef:0a:ff");

  CHECK(MacAddr::parse("02:00:00:00:00:01") == kMacA);
  CHECK(MacAddr::parse("DE:ad:BE:ef:0A:ff") == MacAddr{{0xde, 0xad, 0xbe, 0xef, 0x0a, 0xff}});
  for (const char* bad : {"", "02:00:00:00:00", "02:00:00:00:00:01:", "02-00-00-00-00-01",
                          "2:00:00:00:00:001", "02:00:00:00:00:0g", " 02:00:00:00:00:01"}) {
    CAPTURE(bad);
    CHECK_FALSE(MacAddr::parse(bad).has_value());
  }
}

TEST_CASE("EthernetFrame: a real frame parses") {
  auto frame = EthernetFrame::check(samples::kPingFrame);
  REQUIRE_OR_RETURN(frame);
  CHECK(frame->dst() == kMacB);
  CHECK(frame->src() == kMacA);
  CHECK(frame->ethertype() == EtherType::Ipv4);
  CHECK(frame->payload().size() == samples::kPingFrame.size() - 14);
  CHECK(frame->payload()[0] == 0x45);

  auto arp = EthernetFrame::check(samples::kArpRequestFrame);
  REQUIRE_OR_RETURN(arp);
  CHECK(arp->ethertype() == EtherType::Arp);
  CHECK(arp->dst().is_broadcast());
}

TEST_CASE("EthernetFrame: every length below 14 is refused, 14 is an empty payload") {
  for (size_t len = 0; len < EthernetFrame::kHeaderLen; ++len) {
    CAPTURE(len);
    CHECK_FALSE(EthernetFrame::check(std::span(samples::kPingFrame).first(len)).has_value());
  }
  auto header_only = EthernetFrame::check(std::span(samples::kPingFrame).first(14));
  REQUIRE_OR_RETURN(header_only);
  CHECK(header_only->payload().empty());
}

TEST_CASE("EthernetFrame: an unknown ethertype is reported as is") {
  auto bytes = std::vector<uint8_t>(samples::kPingFrame.begin(), samples::kPingFrame.end());
  bytes[12] = 0x86;
  bytes[13] = 0xdd;
  auto frame = EthernetFrame::check(bytes);
  REQUIRE_OR_RETURN(frame);
  CHECK(frame->ethertype() == EtherType::Ipv6);
  bytes[12] = 0x12;
  bytes[13] = 0x34;
  CHECK(static_cast<uint16_t>(EthernetFrame::check(bytes)->ethertype()) == 0x1234);
}

TEST_CASE("EthernetRepr: parse/emit round trip reproduces the header bytes") {
  auto frame = EthernetFrame::check(samples::kPingFrame);
  REQUIRE_OR_RETURN(frame);
  const EthernetRepr repr = EthernetRepr::parse(*frame);
  CHECK(repr == EthernetRepr{kMacB, kMacA, EtherType::Ipv4});

  std::array<uint8_t, 14> out{};
  REQUIRE_OR_RETURN(repr.emit(out));
  CHECK(std::equal(out.begin(), out.end(), samples::kPingFrame.begin()));

  std::array<uint8_t, 13> short_out{};
  CHECK_FALSE(repr.emit(short_out));
  CHECK(short_out == std::array<uint8_t, 13>{});
}
