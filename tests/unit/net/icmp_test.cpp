#include "net/icmp.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "net/checksum.hpp"
#include "sample_packets.hpp"
#include "test_support.hpp"

using namespace wsgate::net;

namespace {

// The ICMP message of the scapy ping frame (after Ethernet 14 + IPv4 20).
std::vector<uint8_t> ping_icmp() {
  return std::vector<uint8_t>(samples::kPingFrame.begin() + 34, samples::kPingFrame.end());
}
std::vector<uint8_t> pong_icmp() {
  return std::vector<uint8_t>(samples::kPongIpv4.begin() + 20, samples::kPongIpv4.end());
}

}  // namespace

TEST_CASE("IcmpPacket: a real echo request parses") {
  const auto bytes = ping_icmp();
  auto packet = IcmpPacket::check(bytes);
  REQUIRE_OR_RETURN(packet);
  CHECK(packet->type() == IcmpType::EchoRequest);
  CHECK(packet->code() == 0);
  CHECK(packet->checksum() == 0xbea3);
  CHECK(packet->echo_id() == 0x4242);
  CHECK(packet->echo_seq() == 7);
  CHECK(packet->payload().size() == 56);

  auto repr = IcmpRepr::parse(*packet);
  REQUIRE_OR_RETURN(repr);
  CHECK(repr->type == IcmpType::EchoRequest);
  CHECK(repr->id == 0x4242);
  CHECK(repr->seq == 7);
  CHECK(repr->payload.size() == 56);
  CHECK(repr->buffer_len() == 64);
}

TEST_CASE("IcmpPacket: an odd-length message checksums correctly") {
  auto packet = IcmpPacket::check(samples::kIcmpOdd);
  REQUIRE_OR_RETURN(packet);
  CHECK(packet->payload().size() == 3);
}

TEST_CASE("IcmpPacket: truncated at every length below 8") {
  const auto bytes = ping_icmp();
  for (size_t len = 0; len < IcmpPacket::kHeaderLen; ++len) {
    CAPTURE(len);
    CHECK(IcmpPacket::check(std::span(bytes).first(len)).error() == IcmpError::truncated);
  }
}

TEST_CASE("IcmpPacket: the checksum covers the whole message, payload included") {
  for (size_t at : {size_t{0}, size_t{5}, size_t{8}, size_t{63}}) {
    auto bytes = ping_icmp();
    bytes[at] ^= 0x10;
    CAPTURE(at);
    CHECK(IcmpPacket::check(bytes).error() == IcmpError::bad_checksum);
  }
  // A message cut short (e.g. a lying IPv4 total length) fails the checksum too.
  const auto bytes = ping_icmp();
  CHECK(IcmpPacket::check(std::span(bytes).first(40)).error() == IcmpError::bad_checksum);
}

TEST_CASE("IcmpRepr: types other than echo are unsupported_type") {
  // Destination unreachable (port) with a valid checksum.
  std::array<uint8_t, 8> out{3, 3, 0, 0, 0, 0, 0, 0};
  const uint16_t sum = checksum_fold(checksum_add(out));
  out[2] = static_cast<uint8_t>(sum >> 8);
  out[3] = static_cast<uint8_t>(sum);
  auto packet = IcmpPacket::check(out);
  REQUIRE_OR_RETURN(packet);
  CHECK(packet->type() == IcmpType::DestUnreachable);
  CHECK(IcmpRepr::parse(*packet).error() == IcmpError::unsupported_type);
  CHECK(error_name(IcmpError::unsupported_type) == "unsupported_type");
}

TEST_CASE("IcmpRepr: emit matches scapy's echo reply") {
  const auto request = ping_icmp();
  auto packet = IcmpPacket::check(request);
  REQUIRE_OR_RETURN(packet);
  const IcmpRepr reply = IcmpRepr::parse(*packet)->echo_reply();
  std::vector<uint8_t> out(reply.buffer_len());
  REQUIRE_OR_RETURN(reply.emit(out));
  CHECK(out == pong_icmp());

  std::vector<uint8_t> short_out(reply.buffer_len() - 1);
  CHECK_FALSE(reply.emit(short_out));
}

TEST_CASE("write_echo_reply: into a separate buffer and in place over the request") {
  const auto expected = pong_icmp();

  const auto request = ping_icmp();
  std::vector<uint8_t> out(100, 0xcc);
  auto packet = IcmpPacket::check(request);
  REQUIRE_OR_RETURN(packet);
  REQUIRE_OR_RETURN(write_echo_reply(*packet, out) == 64);
  CHECK(std::equal(expected.begin(), expected.end(), out.begin()));

  auto in_place = ping_icmp();
  auto view = IcmpPacket::check(in_place);
  REQUIRE_OR_RETURN(view);
  REQUIRE_OR_RETURN(write_echo_reply(*view, in_place) == 64);
  CHECK(in_place == expected);

  std::vector<uint8_t> too_short(63);
  CHECK(write_echo_reply(*packet, too_short) == 0);
}

TEST_CASE("write_echo_reply: a reply is not answered") {
  const auto pong = pong_icmp();
  auto packet = IcmpPacket::check(pong);
  REQUIRE_OR_RETURN(packet);
  std::vector<uint8_t> out(100);
  CHECK(write_echo_reply(*packet, out) == 0);
}
