// DPDK 22.11's net_tap saves a readv() on an empty RX burst by arming O_ASYNC
// on its queues: the kernel then raises a real-time signal for every frame it
// queues to the TAP, and the PMD reads only after a signal came. For an lcore
// that busy-polls anyway this is the wrong trade: each frame costs a signal
// delivery with a sigframe and an FPU save/restore on the polling thread
// (perf at 300k WebSockets: get_signal + FPU sigframe work ~17 % of wsgate's
// lcore, more than the whole TCP stack).
//
// The PMD takes the first real-time signal from SIGRTMIN+1 up whose handler
// is SIG_DFL; when none is free it logs "No Rx trigger signal available" and
// polls with readv() on every burst, no signals. So before EAL creates any
// TAP, wsgate gives every free real-time signal a handler that does nothing.
// Nothing else in wsgate or EAL uses them (EAL's interrupts are epoll/eventfd).
#pragma once

namespace wsgate::drivers {

// Returns how many signals it claimed. Call before rte_eal_init().
int claim_tap_rx_signals();

}  // namespace wsgate::drivers
