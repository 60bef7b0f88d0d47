#include "http/response.hpp"

#include <cstring>

namespace wsgate::http {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

namespace {

// Appends to a fixed buffer; remembers overflow instead of failing midway.
class Writer {
 public:
  Writer(char* out, size_t cap) : out_(out), cap_(cap) {}
  void put(std::string_view s) {
    if (len_ + s.size() > cap_) {
      overflow_ = true;
      return;
    }
    std::memcpy(out_ + len_, s.data(), s.size());
    len_ += s.size();
  }
  void put_uint(size_t v) {
    char digits[20];
    size_t n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    char text[20];
    for (size_t i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
    put(std::string_view(text, n));
  }
  size_t result() const { return overflow_ ? 0 : len_; }

 private:
  char* out_;
  size_t cap_;
  size_t len_ = 0;
  bool overflow_ = false;
};

}  // namespace

size_t write_response(char* out, size_t cap, int status, std::string_view extra_headers,
                      std::string_view content_type, std::string_view body) {
  Writer w(out, cap);
  w.put("HTTP/1.1 ");
  w.put_uint(static_cast<size_t>(status));
  w.put(" ");
  w.put(reason_phrase(status));
  w.put("\r\n");
  w.put(extra_headers);
  if (!content_type.empty()) {
    w.put("Content-Type: ");
    w.put(content_type);
    w.put("\r\n");
  }
  w.put("Content-Length: ");
  w.put_uint(body.size());
  w.put("\r\nConnection: close\r\n\r\n");
  w.put(body);
  return w.result();
}

size_t write_error_response(char* out, size_t cap, int status, std::string_view extra_headers) {
  char body[64];
  Writer b(body, sizeof body);
  b.put_uint(static_cast<size_t>(status));
  b.put(" ");
  b.put(reason_phrase(status));
  b.put("\n");
  return write_response(out, cap, status, extra_headers, "text/plain", std::string_view(body, b.result()));
}

}  // namespace wsgate::http
