// HTTP/1.1 responses written into a caller's buffer (no allocation). Every
// non-101 response carries Content-Length and "Connection: close": wsgate
// closes after any response that is not a protocol switch.
#pragma once
#include <cstddef>
#include <string_view>

namespace wsgate::http {

std::string_view reason_phrase(int status);

// Writes "HTTP/1.1 <status> <reason>", the given extra header lines (each
// ending in CRLF, may be empty), Content-Type/Length, Connection: close, the
// empty line and body. Returns bytes written, 0 when cap is too small.
size_t write_response(char* out, size_t cap, int status, std::string_view extra_headers,
                      std::string_view content_type, std::string_view body);

// Same, with a short text/plain body naming the status ("404 Not Found\n").
size_t write_error_response(char* out, size_t cap, int status, std::string_view extra_headers = {});

}  // namespace wsgate::http
