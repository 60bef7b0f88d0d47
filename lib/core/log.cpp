#include "core/log.hpp"

#include <cstring>

namespace wsgate::log {

namespace {
Level g_level = Level::Info;
const char* const kNames[] = {"error", "warn", "info", "debug"};
}  // namespace

Level level() { return g_level; }
void set_level(Level l) { g_level = l; }

bool parse_level(const char* name, Level* out) {
  for (int i = 0; i < 4; ++i) {
    if (std::strcmp(name, kNames[i]) == 0) {
      *out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

void write(Level lvl, fmt::string_view text) {
  // Errors and warnings go to stderr so a user piping stdout still sees them.
  std::FILE* f = lvl <= Level::Warn ? stderr : stdout;
  fmt::print(f, "wsgate: {}{}\n", lvl == Level::Error ? "error: " : lvl == Level::Warn ? "warning: " : "",
             text);
  std::fflush(f);
}

}  // namespace wsgate::log
