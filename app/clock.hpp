// Microsecond time from the TSC. The TCP engine and the apps never read a
// clock themselves: the worker passes this value in (or, in replay mode,
// the capture's timestamps), which keeps them deterministic under test.
#pragma once
#include <cstdint>

#include <rte_cycles.h>

namespace wsgate::app {

class TscClock {
 public:
  void init() {
    hz_ = rte_get_tsc_hz();
    start_ = rte_get_tsc_cycles();
  }
  uint64_t now_us() const {
    uint64_t c = rte_get_tsc_cycles() - start_;
    // Split to avoid overflow of c * 1e6 after ~5 hours at 1 GHz.
    return (c / hz_) * 1'000'000 + (c % hz_) * 1'000'000 / hz_;
  }

 private:
  uint64_t hz_ = 1;
  uint64_t start_ = 0;
};

}  // namespace wsgate::app
