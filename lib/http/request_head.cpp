#include "http/request_head.hpp"

#include <cstring>

#include "http/ascii.hpp"

namespace wsgate::http {

size_t find_head_end(std::span<const uint8_t> buf, size_t scan_from) {
  const size_t n = buf.size();
  if (n < 4) return 0;
  for (size_t i = scan_from; i + 3 < n; ++i) {
    if (buf[i + 3] == '\n' && buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r') return i + 4;
  }
  return 0;
}

size_t request_line_length(std::span<const uint8_t> buf) {
  for (size_t i = 0; i + 1 < buf.size(); ++i) {
    if (buf[i] == '\r' && buf[i + 1] == '\n') return i + 2;
  }
  return 0;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Bytes allowed inside a field value: HTAB, SP, VCHAR, obs-text (RFC 9110 5.5).
bool is_field_value_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

HeadError parse_request_line(std::string_view s, RequestLine* line) {
  const size_t sp1 = s.find(' ');
  if (sp1 == std::string_view::npos) return HeadError::BadRequestLine;
  const size_t sp2 = s.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return HeadError::BadRequestLine;
  const std::string_view method = s.substr(0, sp1);
  const std::string_view target = s.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = s.substr(sp2 + 1);
  if (!is_token(method) || target.empty()) return HeadError::BadRequestLine;
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return HeadError::BadRequestLine;
  }
  if (version.size() != 8 || version[6] != '.' || !is_digit(version[5]) || !is_digit(version[7])) {
    return HeadError::BadRequestLine;
  }
  if (version.substr(0, 5) != "HTTP/") return HeadError::BadVersion;
  line->method = method;
  line->target = target;
  line->version_major = static_cast<uint8_t>(version[5] - '0');
  line->version_minor = static_cast<uint8_t>(version[7] - '0');
  return HeadError::None;
}

HeadError parse_header_line(std::string_view s, HeaderVisitor* headers) {
  if (s.front() == ' ' || s.front() == '\t') return HeadError::BadHeader;  // obs-fold (RFC 9112 5.2)
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos) return HeadError::BadHeader;
  const std::string_view name = s.substr(0, colon);
  // is_token also rejects whitespace between name and colon (RFC 9112 5.1).
  if (!is_token(name)) return HeadError::BadHeader;
  const std::string_view value = s.substr(colon + 1);
  for (char c : value) {
    if (!is_field_value_byte(c)) return HeadError::BadHeader;
  }
  if (headers != nullptr) headers->on_header(name, trim_ows(value));
  return HeadError::None;
}

}  // namespace

HeadError parse_request_head(std::string_view head, RequestLine* line, HeaderVisitor* headers) {
  size_t pos = 0;
  bool first = true;
  while (pos < head.size()) {
    const size_t crlf = head.find("\r\n", pos);
    if (crlf == std::string_view::npos) return first ? HeadError::BadRequestLine : HeadError::BadHeader;
    const std::string_view text = head.substr(pos, crlf - pos);
    pos = crlf + 2;
    // A bare CR or LF inside a line is a smuggling vector: refuse it.
    if (text.find('\r') != std::string_view::npos || text.find('\n') != std::string_view::npos) {
      return first ? HeadError::BadRequestLine : HeadError::BadHeader;
    }
    if (first) {
      const HeadError e = parse_request_line(text, line);
      if (e != HeadError::None) return e;
      first = false;
      continue;
    }
    if (text.empty()) return pos == head.size() ? HeadError::None : HeadError::BadHeader;
    const HeadError e = parse_header_line(text, headers);
    if (e != HeadError::None) return e;
  }
  return first ? HeadError::BadRequestLine : HeadError::BadHeader;
}

}  // namespace wsgate::http
