// Microseconds since the Unix epoch, read from the TSC after one
// CLOCK_REALTIME sample at start. The TCP engine and the apps never read a
// clock themselves: the worker passes this value in, or in --replay mode the
// input capture's timestamps. Epoch time (not "since start") is what makes a
// --capture file replayable: its timestamps are the very values the engine saw.
#pragma once
#include <time.h>

#include <cstdint>

#include <rte_cycles.h>

namespace wsgate::app {

class TscClock {
 public:
  void init() {
    hz_ = rte_get_tsc_hz();
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    start_tsc_ = rte_get_tsc_cycles();
    base_us_ = static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
  }
  uint64_t now_us() const {
    uint64_t c = rte_get_tsc_cycles() - start_tsc_;
    // Split to avoid overflow of c * 1e6 after ~5 hours at 1 GHz.
    return base_us_ + (c / hz_) * 1'000'000 + (c % hz_) * 1'000'000 / hz_;
  }

 private:
  uint64_t hz_ = 1;
  uint64_t start_tsc_ = 0;
  uint64_t base_us_ = 0;
};

}  // namespace wsgate::app
