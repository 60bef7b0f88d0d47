#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#include <doctest/doctest.h>

#include "ws/close_code.hpp"

using wsgate::ws::close_code_valid_on_wire;

TEST_CASE("close codes allowed on the wire (RFC 6455 7.4)") {
  const uint16_t valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
  const uint16_t invalid[] = {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
  for (uint16_t c : valid) {
    CAPTURE(c);
    CHECK(close_code_valid_on_wire(c));
  }
  for (uint16_t c : invalid) {
    CAPTURE(c);
    CHECK_FALSE(close_code_valid_on_wire(c));
  }
  int count = 0;
  for (uint32_t c = 0; c <= 0xFFFF; ++c) count += close_code_valid_on_wire(static_cast<uint16_t>(c));
  CHECK(count == 12 + 2000);
}
