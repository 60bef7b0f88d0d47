// Logging for init, errors and the stats line. Never called per packet on the
// fast path except for rate-limited warnings.
#pragma once
#include <cstdio>
#include <fmt/format.h>

namespace wsgate::log {

enum class Level : int { Error = 0, Warn = 1, Info = 2, Debug = 3 };

Level level();
void set_level(Level);
// "error" | "warn" | "info" | "debug"; false if the name is unknown.
bool parse_level(const char* name, Level* out);
void write(Level, fmt::string_view text);

template <typename... Args>
void at(Level lvl, fmt::format_string<Args...> f, Args&&... args) {
  if (static_cast<int>(lvl) > static_cast<int>(level())) return;
  write(lvl, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args> void error(fmt::format_string<Args...> f, Args&&... a) { at(Level::Error, f, std::forward<Args>(a)...); }
template <typename... Args> void warn(fmt::format_string<Args...> f, Args&&... a) { at(Level::Warn, f, std::forward<Args>(a)...); }
template <typename... Args> void info(fmt::format_string<Args...> f, Args&&... a) { at(Level::Info, f, std::forward<Args>(a)...); }
template <typename... Args> void debug(fmt::format_string<Args...> f, Args&&... a) { at(Level::Debug, f, std::forward<Args>(a)...); }

}  // namespace wsgate::log
