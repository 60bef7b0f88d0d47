#include "net/ipv4_addr.hpp"

#include <doctest/doctest.h>

#include "test_support.hpp"

using namespace wsgate::net;

TEST_CASE("parse_ipv4: good addresses into host order") {
  CHECK(parse_ipv4("10.0.0.1") == 0x0a000001u);
  CHECK(parse_ipv4("0.0.0.0") == 0u);
  CHECK(parse_ipv4("255.255.255.255") == 0xffffffffu);
  CHECK(parse_ipv4("192.168.1.20") == 0xc0a80114u);
  CHECK(parse_ipv4("1.2.3.4") == 0x01020304u);
}

TEST_CASE("parse_ipv4: malformed strings are refused") {
  for (const char* bad : {"", "1", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "256.0.0.1",
                          "1.2.3.256", "1.2.3.1000", "01.2.3.4", "1.2.3.04", "00.0.0.0", "+1.2.3.4",
                          "1.+2.3.4", "-1.2.3.4", " 1.2.3.4", "1.2.3.4 ", "1.2 .3.4", "1.2.3.4x",
                          "a.b.c.d", "0x1.2.3.4", "1.2.3.4/24", "1,2,3,4", "99999999999.1.1.1"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_ipv4(bad).has_value());
  }
}

TEST_CASE("parse_ipv4_cidr: good and malformed") {
  CHECK(parse_ipv4_cidr("10.0.0.1/24") == Ipv4Cidr{0x0a000001, 24});
  CHECK(parse_ipv4_cidr("0.0.0.0/0") == Ipv4Cidr{0, 0});
  CHECK(parse_ipv4_cidr("1.2.3.4/32") == Ipv4Cidr{0x01020304, 32});
  for (const char* bad : {"10.0.0.1", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/024", "10.0.0.1/-1",
                          "10.0.0.1/+8", "10.0.0.1/ 8", "10.0.0.1/8 ", "10.0.0.1/8/8", "10.0.0/8",
                          "/8", "10.0.0.1/x", "10.0.0.1/100"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_ipv4_cidr(bad).has_value());
  }
}

TEST_CASE("format_ipv4 and Ipv4Cidr::to_string round-trip") {
  CHECK(format_ipv4(0x0a000001) == "10.0.0.1");
  CHECK(format_ipv4(0xffffffff) == "255.255.255.255");
  CHECK(format_ipv4(0) == "0.0.0.0");
  for (const char* text : {"1.2.3.4", "192.168.100.200", "127.0.0.1"}) {
    CHECK(format_ipv4(*parse_ipv4(text)) == text);
  }
  CHECK(Ipv4Cidr{0x0a000001, 24}.to_string() == "10.0.0.1/24");
  CHECK(parse_ipv4_cidr("172.16.5.4/12")->to_string() == "172.16.5.4/12");
}

TEST_CASE("netmask, same_subnet, subnet_broadcast") {
  CHECK(netmask(0) == 0u);
  CHECK(netmask(8) == 0xff000000u);
  CHECK(netmask(24) == 0xffffff00u);
  CHECK(netmask(31) == 0xfffffffeu);
  CHECK(netmask(32) == 0xffffffffu);
  CHECK(same_subnet(0x0a000001, 0x0a0000fe, 24));
  CHECK_FALSE(same_subnet(0x0a000001, 0x0a000101, 24));
  CHECK(same_subnet(0x0a000001, 0x0a000101, 16));
  CHECK(same_subnet(0x01020304, 0xfffefdfc, 0));
  CHECK_FALSE(same_subnet(0x01020304, 0x01020305, 32));
  CHECK(subnet_broadcast(0x0a000001, 24) == 0x0a0000ffu);
  CHECK(subnet_broadcast(0x0a000001, 32) == 0x0a000001u);
}
