// The index type shared by every per-lcore container: 32-bit indices instead
// of pointers halve the size of links inside 64-byte connection records.
#pragma once

#include <cstdint>

namespace wsgate::core {

// "No element": end of a list, a failed allocation, a lookup miss.
inline constexpr uint32_t kNil = UINT32_MAX;

}  // namespace wsgate::core
