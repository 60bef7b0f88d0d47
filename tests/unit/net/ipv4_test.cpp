#include "net/ipv4.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "net/checksum.hpp"
#include "sample_packets.hpp"
#include "test_support.hpp"

using namespace wsgate::net;

namespace {

std::vector<uint8_t> ping_ipv4() {
  return std::vector<uint8_t>(samples::kPingFrame.begin() + 14, samples::kPingFrame.end());
}

// Rewrites the header checksum after a test edits a field, so the test sees
// the structural error it is after rather than bad_checksum.
void fix_checksum(std::vector<uint8_t>& bytes) {
  const size_t header_len = size_t{bytes[0] & 0x0fu} * 4;
  bytes[10] = bytes[11] = 0;
  const uint16_t c = checksum_fold(checksum_add(std::span(bytes).first(std::min(header_len, bytes.size()))));
  bytes[10] = static_cast<uint8_t>(c >> 8);
  bytes[11] = static_cast<uint8_t>(c);
}

Ipv4Error check_error(const std::vector<uint8_t>& bytes) { return Ipv4Packet::check(bytes).error(); }
Ipv4Error host_error(const std::vector<uint8_t>& bytes) { return Ipv4Packet::check_for_host(bytes).error(); }

}  // namespace

TEST_CASE("Ipv4Packet: a real ping parses field by field") {
  const auto bytes = ping_ipv4();
  auto packet = Ipv4Packet::check_for_host(bytes);
  REQUIRE_OR_RETURN(packet);
  CHECK(packet->version() == 4);
  CHECK(packet->header_len() == 20);
  CHECK(packet->total_len() == 84);
  CHECK(packet->id() == 0x1234);
  CHECK(packet->dont_fragment());
  CHECK_FALSE(packet->is_fragment());
  CHECK(packet->ttl() == 64);
  CHECK(packet->protocol() == ip_proto::kIcmp);
  CHECK(packet->checksum() == 0x1473);
  CHECK(packet->src() == 0x0a000001);
  CHECK(packet->dst() == 0x0a000002);
  CHECK(packet->verify_checksum());
  CHECK(packet->payload().size() == 64);
  CHECK(packet->payload()[0] == 0x08);  // ICMP echo request
}

TEST_CASE("Ipv4Packet: options are skipped, payload starts after IHL*4") {
  auto packet = Ipv4Packet::check_for_host(samples::kIpv4WithOptions);
  REQUIRE_OR_RETURN(packet);
  CHECK(packet->header_len() == 24);
  CHECK(packet->header().size() == 24);
  CHECK(packet->protocol() == ip_proto::kUdp);
  CHECK(packet->payload().size() == 11);
  CHECK(Ipv4Repr::parse(*packet).payload_len == 11);
}

TEST_CASE("Ipv4Packet: Ethernet padding after total length is ignored") {
  auto bytes = ping_ipv4();
  bytes.resize(bytes.size() + 10, 0xee);
  auto packet = Ipv4Packet::check_for_host(bytes);
  REQUIRE_OR_RETURN(packet);
  CHECK(packet->bytes().size() == 84);
  CHECK(packet->payload().size() == 64);
  CHECK(packet->payload().back() == 0x37);
}

TEST_CASE("Ipv4Packet: truncated at every length below the total") {
  const auto bytes = ping_ipv4();
  for (size_t len = 0; len < bytes.size(); ++len) {
    CAPTURE(len);
    auto r = Ipv4Packet::check(std::span(bytes).first(len));
    REQUIRE_OR_RETURN(!(r));
    // Below the header it is truncated; past it, the total length overshoots.
    CHECK(r.error() == (len < 20 ? Ipv4Error::truncated : Ipv4Error::bad_total_length));
  }
}

TEST_CASE("Ipv4Packet: header with options cut inside the options is truncated") {
  const auto& opts = samples::kIpv4WithOptions;
  for (size_t len = 20; len < 24; ++len) {
    CAPTURE(len);
    CHECK(Ipv4Packet::check(std::span(opts).first(len)).error() == Ipv4Error::truncated);
  }
}

TEST_CASE("Ipv4Packet: bad version") {
  for (uint8_t version : {0, 6, 15}) {
    auto bytes = ping_ipv4();
    bytes[0] = static_cast<uint8_t>((version << 4) | 5);
    CAPTURE(version);
    CHECK(check_error(bytes) == Ipv4Error::bad_version);
  }
}

TEST_CASE("Ipv4Packet: IHL below 5 is bad_header_length; IHL past the buffer is truncated") {
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    auto bytes = ping_ipv4();
    bytes[0] = static_cast<uint8_t>(0x40 | ihl);
    CAPTURE(ihl);
    CHECK(check_error(bytes) == Ipv4Error::bad_header_length);
  }
  auto bytes = ping_ipv4();
  bytes.resize(40);
  bytes[0] = 0x4f;  // 60-byte header in a 40-byte buffer
  CHECK(check_error(bytes) == Ipv4Error::truncated);
}

TEST_CASE("Ipv4Packet: total length below the header or past the buffer") {
  for (uint16_t total : {0, 19, 85, 0xffff}) {
    auto bytes = ping_ipv4();
    bytes[2] = static_cast<uint8_t>(total >> 8);
    bytes[3] = static_cast<uint8_t>(total);
    fix_checksum(bytes);
    CAPTURE(total);
    CHECK(check_error(bytes) == Ipv4Error::bad_total_length);
  }
  auto bytes = ping_ipv4();
  bytes[2] = 0;
  bytes[3] = 20;  // header only: valid, empty payload
  fix_checksum(bytes);
  auto packet = Ipv4Packet::check_for_host(bytes);
  REQUIRE_OR_RETURN(packet);
  CHECK(packet->payload().empty());
}

TEST_CASE("Ipv4Packet: check_for_host refuses a bad checksum unless the NIC verified it") {
  auto bytes = ping_ipv4();
  bytes[8] = 1;  // TTL changed without fixing the checksum
  CHECK(Ipv4Packet::check(bytes));
  CHECK_FALSE(Ipv4Packet::check(bytes)->verify_checksum());
  CHECK(host_error(bytes) == Ipv4Error::bad_checksum);
  CHECK(Ipv4Packet::check_for_host(bytes, /*checksum_verified_by_nic=*/true));
}

TEST_CASE("Ipv4Packet: TTL 0 and 1 are accepted on receive (RFC 1122 3.2.1.7)") {
  for (uint8_t ttl : {0, 1}) {
    auto bytes = ping_ipv4();
    bytes[8] = ttl;
    fix_checksum(bytes);
    CAPTURE(ttl);
    CHECK(Ipv4Packet::check_for_host(bytes));
  }
}

TEST_CASE("Ipv4Packet: fragments (MF or offset) are refused by check_for_host") {
  struct Case { uint8_t b6, b7; bool fragment; };
  for (Case c : {Case{0x20, 0x00, true},    // MF, offset 0: first fragment
                 Case{0x00, 0x01, true},    // offset 8 bytes, last fragment
                 Case{0x1f, 0xff, true},    // max offset
                 Case{0x40, 0x00, false},   // DF only
                 Case{0x00, 0x00, false}}) {
    auto bytes = ping_ipv4();
    bytes[6] = c.b6;
    bytes[7] = c.b7;
    fix_checksum(bytes);
    CAPTURE(int{c.b6});
    CAPTURE(int{c.b7});
    REQUIRE_OR_RETURN(Ipv4Packet::check(bytes));
    CHECK(Ipv4Packet::check(bytes)->is_fragment() == c.fragment);
    CHECK(host_error(bytes) == (c.fragment ? Ipv4Error::fragment : Ipv4Error::none));
  }
}

TEST_CASE("Ipv4Repr: emit reproduces the real header and parse round-trips") {
  const auto& pong = samples::kPongIpv4;
  Ipv4Repr repr;
  repr.src = 0x0a000002;
  repr.dst = 0x0a000001;
  repr.protocol = ip_proto::kIcmp;
  repr.id = 0x1234;
  repr.payload_len = 64;
  std::array<uint8_t, 20> out{};
  REQUIRE_OR_RETURN(repr.emit(out));
  CHECK(std::equal(out.begin(), out.end(), pong.begin()));  // checksum 0x1473 included

  auto parsed = Ipv4Packet::check_for_host(pong);
  REQUIRE_OR_RETURN(parsed);
  CHECK(Ipv4Repr::parse(*parsed) == repr);
}

TEST_CASE("Ipv4Repr: without fill_checksum the field is zero for the NIC") {
  Ipv4Repr repr;
  repr.src = 1;
  repr.dst = 2;
  repr.protocol = ip_proto::kTcp;
  repr.dont_fragment = false;
  std::array<uint8_t, 20> out;
  out.fill(0xaa);
  REQUIRE_OR_RETURN(repr.emit(out, false));
  CHECK(out[10] == 0);
  CHECK(out[11] == 0);
  CHECK(out[6] == 0);  // no DF
  CHECK(out[3] == 20);
}

TEST_CASE("Ipv4Repr: emit refuses a short buffer and an oversized payload") {
  Ipv4Repr repr;
  std::array<uint8_t, 19> short_out{};
  CHECK_FALSE(repr.emit(short_out));
  std::array<uint8_t, 20> out{};
  repr.payload_len = 0xffff - 20;
  CHECK(repr.emit(out));
  repr.payload_len = 0xffff - 19;
  CHECK_FALSE(repr.emit(out));
}

TEST_CASE("Ipv4Error names") {
  CHECK(error_name(Ipv4Error::truncated) == "truncated");
  CHECK(error_name(Ipv4Error::bad_version) == "bad_version");
  CHECK(error_name(Ipv4Error::bad_header_length) == "bad_header_length");
  CHECK(error_name(Ipv4Error::bad_total_length) == "bad_total_length");
  CHECK(error_name(Ipv4Error::bad_checksum) == "bad_checksum");
  CHECK(error_name(Ipv4Error::fragment) == "fragment");
}
