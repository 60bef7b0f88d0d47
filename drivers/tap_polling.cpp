#include "drivers/tap_polling.hpp"

#include <signal.h>

namespace wsgate::drivers {

namespace {

void ignore_signal(int) {}

}  // namespace

int claim_tap_rx_signals() {
  int claimed = 0;
  for (int sig = SIGRTMIN + 1; sig <= SIGRTMAX; ++sig) {
    struct sigaction old{};
    if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;
    struct sigaction sa{};
    sa.sa_handler = ignore_signal;
    sa.sa_flags = SA_RESTART;
    if (sigaction(sig, &sa, nullptr) == 0) ++claimed;
  }
  return claimed;
}

}  // namespace wsgate::drivers
