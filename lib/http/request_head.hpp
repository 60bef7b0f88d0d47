// The head of an HTTP/1.1 request (request line + header fields up to the
// empty line), found incrementally and then parsed in place. The parser does
// not copy: it hands out string_views into the caller's buffer, so the caller
// either parses straight from a TCP segment (the common case: a handshake fits
// one segment) or from a buffer it assembled across segments.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wsgate::http {

// Offset just past the "\r\n\r\n" that ends the head, or 0 when the head is
// not complete. Scanning restarts at scan_from (bytes before it are known not
// to end the head), so feeding N segments costs O(total bytes).
size_t find_head_end(std::span<const uint8_t> buf, size_t scan_from = 0);

// Where a later scan can start after buf was scanned without finding the end:
// the last 3 bytes may begin a terminator.
inline size_t rescan_from(size_t scanned_len) { return scanned_len > 3 ? scanned_len - 3 : 0; }

// Length of the request line including its CRLF, or 0 when buf has no CRLF yet.
size_t request_line_length(std::span<const uint8_t> buf);

struct RequestLine {
  std::string_view method;
  std::string_view target;
  uint8_t version_major = 0;
  uint8_t version_minor = 0;
};

enum class HeadError : uint8_t {
  None,
  BadRequestLine,  // not "token SP target SP HTTP/d.d"
  BadVersion,      // syntactically fine but not "HTTP/"
  BadHeader,       // no colon, whitespace before colon, obs-fold, stray CR/LF, control bytes
};

class HeaderVisitor {
 public:
  virtual ~HeaderVisitor() = default;
  // name as sent (compare case-insensitively), value trimmed of OWS.
  virtual void on_header(std::string_view name, std::string_view value) = 0;
};

// head must be exactly what find_head_end delimited (ends with CRLFCRLF).
HeadError parse_request_head(std::string_view head, RequestLine* line, HeaderVisitor* headers);

}  // namespace wsgate::http
