// REQUIRE stops a test by terminating (the build has no exceptions).
#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "../ws/ws_test_frames.hpp"
#include "apps/http_ws_app.hpp"

using namespace wsgate;
using namespace wsgate::ws::test;

namespace {

struct FakeConn {
  uint32_t word = 0;
  uint32_t index = UINT32_MAX;
  Bytes out;
  size_t space = 65536;
  bool shut = false;
  bool aborted = false;
  int resumes = 0;
  bool short_send = false;  // a send() returned less than offered
  bool want_writable = false;  // want_writable() was called
  bool armed() const { return short_send || want_writable; }  // on_writable will follow
};

class FakeIo final : public apps::ConnIo {
 public:
  size_t send(tcp::ConnId id, std::span<const uint8_t> bytes) override {
    FakeConn& c = conns[id];
    REQUIRE_FALSE(c.shut);
    const size_t n = std::min(bytes.size(), c.space);
    c.out.insert(c.out.end(), bytes.begin(), bytes.begin() + static_cast<long>(n));
    c.space -= n;
    if (n < bytes.size()) c.short_send = true;
    return n;
  }
  size_t send_space(tcp::ConnId id) const override { return conns.at(id).space; }
  void shutdown_write(tcp::ConnId id) override { conns[id].shut = true; }
  void abort(tcp::ConnId id) override { conns[id].aborted = true; }
  void resume_read(tcp::ConnId id) override { ++conns[id].resumes; }
  void want_writable(tcp::ConnId id) override { conns[id].want_writable = true; }
  uint32_t& app_word(tcp::ConnId id) override { return conns[id].word; }
  uint32_t& app_index(tcp::ConnId id) override { return conns[id].index; }
  bool is_established(tcp::ConnId id) const override {
    const auto it = conns.find(id);
    return it != conns.end() && !it->second.shut && !it->second.aborted;
  }

  std::map<tcp::ConnId, FakeConn> conns;
};

class FixedMetrics final : public apps::MetricsSource {
 public:
  size_t render(char* buf, size_t cap) override {
    const std::string text = "wsgate_test_metric 42\n";
    const size_t n = std::min(cap, text.size());
    std::memcpy(buf, text.data(), n);
    return n;
  }
};

std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

const std::string kUpgrade =
    "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

struct Harness {
  FakeIo io;
  FixedMetrics metrics;
  apps::HttpWsApp app;

  explicit Harness(apps::WsConfig cfg = small_config()) {
    const char* error = nullptr;
    REQUIRE(app.init(io, cfg, &metrics, &error));
  }
  static apps::WsConfig small_config() {
    apps::WsConfig cfg;
    cfg.handshake_slots = 4;
    cfg.header_buffers = 2;
    cfg.frame_states = 2;
    cfg.max_header_bytes = 1024;
    cfg.max_message_bytes = 4096;
    return cfg;
  }
  FakeConn& conn(tcp::ConnId id) { return io.conns[id]; }
  void open(tcp::ConnId id) {
    io.conns[id] = FakeConn{};
    app.on_established(id);
  }
  // Feeds like TCP: whatever is not consumed is offered again with the next bytes.
  size_t feed(tcp::ConnId id, const Bytes& bytes) {
    return app.on_data(id, std::span<const uint8_t>(bytes.data(), bytes.size()));
  }
  void upgrade(tcp::ConnId id) {
    open(id);
    REQUIRE(feed(id, bytes_of(kUpgrade)) == kUpgrade.size());
    REQUIRE(text_of(conn(id).out).starts_with("HTTP/1.1 101 "));
    conn(id).out.clear();
  }
};

}  // namespace

TEST_CASE("GET /healthz answers 200 with a body and closes") {
  Harness h;
  h.open(1);
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(h.feed(1, bytes_of(req)) == req.size());
  const std::string out = text_of(h.conn(1).out);
  CHECK(out.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(out.find("Connection: close\r\n") != std::string::npos);
  CHECK(out.find("Content-Length: 3\r\n") != std::string::npos);
  CHECK(out.ends_with("\r\n\r\nok\n"));
  CHECK(h.conn(1).shut);
  CHECK(h.app.stats().healthz_served == 1);
  CHECK(h.app.handshakes_in_progress() == 0);
  // Input after the response is discarded.
  CHECK(h.feed(1, bytes_of("GET / HTTP/1.1\r\n")) == 16);
  CHECK(text_of(h.conn(1).out) == out);
}

TEST_CASE("GET /metrics serves the MetricsSource as Prometheus text") {
  Harness h;
  h.open(1);
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  h.feed(1, bytes_of(req));
  const std::string out = text_of(h.conn(1).out);
  CHECK(out.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(out.find("Content-Type: text/plain; version=0.0.4\r\n") != std::string::npos);
  CHECK(out.ends_with("\r\n\r\nwsgate_test_metric 42\n"));
  CHECK(h.conn(1).shut);
}

TEST_CASE("upgrade split at every byte, with frames right behind the head") {
  const Bytes request = bytes_of(kUpgrade);
  const Bytes frames = concat({client_frame(0x81, bytes_of("hello")), client_frame(0x89, bytes_of("p"))});
  const Bytes all = concat({request, frames});
  for (size_t split = 1; split < all.size(); ++split) {
    CAPTURE(split);
    Harness h;
    h.open(7);
    const Bytes a(all.begin(), all.begin() + static_cast<long>(split));
    const Bytes b(all.begin() + static_cast<long>(split), all.end());
    REQUIRE(h.feed(7, a) == a.size());
    REQUIRE(h.feed(7, b) == b.size());
    const std::string out = text_of(h.conn(7).out);
    REQUIRE(out.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    CHECK(out.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    CHECK(out.find("Sec-WebSocket-Extensions") == std::string::npos);
    const size_t head_end = out.find("\r\n\r\n") + 4;
    bool ok = false;
    const auto msgs = join_messages(parse_server_frames(Bytes(h.conn(7).out.begin() + static_cast<long>(head_end),
                                                              h.conn(7).out.end()), &ok), &ok);
    REQUIRE(ok);
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0].opcode == 1);
    CHECK(text_of(msgs[0].payload) == "hello");
    CHECK(msgs[1].opcode == 0xA);
    CHECK(text_of(msgs[1].payload) == "p");
    // Everything completed: nothing borrowed.
    CHECK(h.app.handshakes_in_progress() == 0);
    CHECK(h.app.header_buffers_in_use() == 0);
    CHECK(h.app.frame_states_in_use() == 0);
    CHECK(h.conn(7).index == UINT32_MAX);
  }
}

TEST_CASE("echo of a fragmented message split at every byte returns one message and the state block") {
  const Bytes stream = concat({client_frame(0x01, bytes_of("frag")), client_frame(0x89, bytes_of("ping")),
                               client_frame(0x00, bytes_of("men")), client_frame(0x80, bytes_of("ted!"))});
  for (size_t split = 0; split <= stream.size(); ++split) {
    CAPTURE(split);
    Harness h;
    h.upgrade(3);
    const Bytes a(stream.begin(), stream.begin() + static_cast<long>(split));
    const Bytes b(stream.begin() + static_cast<long>(split), stream.end());
    REQUIRE(h.feed(3, a) == a.size());
    if (split > 0 && split < stream.size()) CHECK(h.app.frame_states_in_use() == 1);
    REQUIRE(h.feed(3, b) == b.size());
    bool ok = false;
    const auto msgs = join_messages(parse_server_frames(h.conn(3).out, &ok), &ok);
    REQUIRE(ok);
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0].opcode == 0xA);
    CHECK(text_of(msgs[0].payload) == "ping");
    CHECK(msgs[1].opcode == 1);
    CHECK(text_of(msgs[1].payload) == "fragmented!");
    CHECK(h.app.frame_states_in_use() == 0);
    CHECK(h.conn(3).index == UINT32_MAX);
  }
}

TEST_CASE("a message in one segment goes back as one frame") {
  Harness h;
  h.upgrade(1);
  Bytes payload(300);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  h.feed(1, client_frame(0x82, payload));
  bool ok = false;
  const auto frames = parse_server_frames(h.conn(1).out, &ok);
  REQUIRE(ok);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].opcode == 2);
  CHECK(frames[0].fin);
  CHECK(frames[0].payload == payload);
}

TEST_CASE("protocol errors close with the code and shut the write side") {
  Harness h;
  h.upgrade(1);
  const Bytes unmasked = client_frame(0x81, bytes_of("x"), false);
  CHECK(h.feed(1, unmasked) == unmasked.size());
  CHECK(h.conn(1).out == Bytes{0x88, 0x02, 0x03, 0xEA});  // 1002
  CHECK(h.conn(1).shut);
  CHECK(h.app.stats().close_sent_1002 == 1);
  // Frames after our Close are ignored.
  const Bytes more = client_frame(0x81, bytes_of("y"));
  CHECK(h.feed(1, more) == more.size());
  CHECK(h.conn(1).out.size() == 4);
}

TEST_CASE("close handshake echoes the peer's code") {
  Harness h;
  h.upgrade(1);
  h.feed(1, client_frame(0x88, Bytes{0x0F, 0xA0, 'b', 'y', 'e'}));  // 4000 "bye"
  CHECK(h.conn(1).out == Bytes{0x88, 0x02, 0x0F, 0xA0});
  CHECK(h.conn(1).shut);
  CHECK(h.app.stats().closes_in == 1);
}

TEST_CASE("message over the limit closes 1009") {
  Harness h;
  h.upgrade(1);
  h.feed(1, client_frame(0x82, Bytes(4097, 1)));
  CHECK(h.conn(1).out == Bytes{0x88, 0x02, 0x03, 0xF1});
}

TEST_CASE("HTTP errors: status and close") {
  struct Case {
    std::string request;
    int status;
  };
  const Case cases[] = {
      {"POST /chat HTTP/1.1\r\nHost: x\r\n\r\n", 405},
      {"GET /chat HTTP/2.0\r\nHost: x\r\n\r\n", 505},
      {"GET /chat HTTP/1.1\r\n\r\n", 400},
      {"GET /chat HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
       426},
      {"garbage\r\n\r\n", 400},
  };
  for (const Case& c : cases) {
    CAPTURE(c.request);
    Harness h;
    h.open(1);
    h.feed(1, bytes_of(c.request));
    const std::string out = text_of(h.conn(1).out);
    CHECK(out.starts_with("HTTP/1.1 " + std::to_string(c.status) + " "));
    CHECK(h.conn(1).shut);
    if (c.status == 426) CHECK(out.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
  }
}

TEST_CASE("header limit: 431 for many headers, 400 for a long request line") {
  {
    Harness h;
    h.open(1);
    std::string req = "GET /chat HTTP/1.1\r\nHost: x\r\n";
    while (req.size() < 1100) req += "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    // Arrives in pieces: the header buffer is borrowed, then returned.
    h.feed(1, bytes_of(req.substr(0, 500)));
    CHECK(h.app.header_buffers_in_use() == 1);
    h.feed(1, bytes_of(req.substr(500)));
    CHECK(text_of(h.conn(1).out).starts_with("HTTP/1.1 431 "));
    CHECK(h.app.header_buffers_in_use() == 0);
    CHECK(h.app.handshakes_in_progress() == 0);
  }
  {
    Harness h;
    h.open(1);
    const std::string req = "GET /" + std::string(1200, 'a') + " HTTP/1.1\r\n";
    h.feed(1, bytes_of(req));
    CHECK(text_of(h.conn(1).out).starts_with("HTTP/1.1 400 "));
  }
}

TEST_CASE("handshake timeout: 408 from poll, in FIFO order") {
  apps::WsConfig cfg = Harness::small_config();
  cfg.handshake_timeout_ms = 100;
  Harness h(cfg);
  h.app.poll(1'000'000);
  h.open(1);
  h.app.poll(1'050'000);
  h.open(2);
  h.feed(2, bytes_of("GET /chat HTT"));
  h.app.poll(1'099'999);
  CHECK(h.conn(1).out.empty());
  h.app.poll(1'100'000);
  CHECK(text_of(h.conn(1).out).starts_with("HTTP/1.1 408 "));
  CHECK(h.conn(1).shut);
  CHECK(h.conn(2).out.empty());
  h.app.poll(1'150'000);
  CHECK(text_of(h.conn(2).out).starts_with("HTTP/1.1 408 "));
  CHECK(h.app.handshakes_in_progress() == 0);
  CHECK(h.app.header_buffers_in_use() == 0);
  CHECK(h.app.stats().http_408 == 2);
}

TEST_CASE("pools empty: 503 for a handshake, 1013 for a message; others unaffected") {
  Harness h;  // 4 handshake slots, 2 header buffers, 2 frame states
  for (tcp::ConnId id = 1; id <= 4; ++id) h.open(id);
  h.open(5);
  CHECK(text_of(h.conn(5).out).starts_with("HTTP/1.1 503 "));
  CHECK(h.app.stats().pool_empty_handshake == 1);
  // Connections 1..3 become WebSockets; 1 and 2 hold partial frames.
  for (tcp::ConnId id = 1; id <= 3; ++id) {
    REQUIRE(h.feed(id, bytes_of(kUpgrade)) == kUpgrade.size());
    h.conn(id).out.clear();
  }
  const Bytes frame = client_frame(0x81, bytes_of("abcdef"));
  const Bytes head(frame.begin(), frame.begin() + 8);
  const Bytes tail(frame.begin() + 8, frame.end());
  h.feed(1, head);
  h.feed(2, head);
  CHECK(h.app.frame_states_in_use() == 2);
  h.feed(3, head);
  CHECK(h.conn(3).out.back() == 0xF5);  // ... 0x03 0xF5 = 1013
  CHECK(h.app.stats().close_sent_1013 == 1);
  h.feed(1, tail);
  bool ok = false;
  const auto msgs = join_messages(parse_server_frames(h.conn(1).out, &ok), &ok);
  REQUIRE(ok);
  REQUIRE(msgs.size() == 1);
  CHECK(text_of(msgs[0].payload) == "abcdef");
}

TEST_CASE("backpressure: input stays in TCP until on_writable, echo stays intact") {
  Harness h;
  h.upgrade(1);
  Bytes payload(1000);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>('a' + i % 26);
  const Bytes frame = client_frame(0x81, payload);
  h.conn(1).space = 300;
  size_t offered = 0;
  int rounds = 0;
  while (offered < frame.size() && rounds < 100) {
    const Bytes rest(frame.begin() + static_cast<long>(offered), frame.end());
    const size_t used = h.feed(1, rest);
    offered += used;
    if (offered < frame.size()) {
      CHECK(h.conn(1).armed());  // on_writable is armed: a short send or want_writable
      h.conn(1).short_send = h.conn(1).want_writable = false;
      h.conn(1).space = 300;         // the peer ACKed
      h.app.on_writable(1);
    }
    ++rounds;
  }
  REQUIRE(offered == frame.size());
  bool ok = false;
  const auto msgs = join_messages(parse_server_frames(h.conn(1).out, &ok), &ok);
  REQUIRE(ok);
  Bytes echoed;
  for (const auto& m : msgs) {
    if (m.opcode == 1) echoed = m.payload;
    else FAIL("unexpected frame opcode ", m.opcode);  // nothing but the echo
  }
  CHECK(echoed == payload);
  CHECK(h.app.frame_states_in_use() == 0);
}

TEST_CASE("on_closed returns whatever the connection borrowed") {
  Harness h;
  h.open(1);
  h.feed(1, bytes_of("GET /ch"));
  CHECK(h.app.header_buffers_in_use() == 1);
  h.app.on_closed(1, tcp::CloseReason::ResetByPeer);
  CHECK(h.app.header_buffers_in_use() == 0);
  CHECK(h.app.handshakes_in_progress() == 0);
  h.upgrade(2);
  h.feed(2, Bytes{0x81, 0x85});
  CHECK(h.app.frame_states_in_use() == 1);
  h.app.on_closed(2, tcp::CloseReason::ResetByPeer);
  CHECK(h.app.frame_states_in_use() == 0);
}

TEST_CASE("a send that comes back short despite the space check resets the connection") {
  class DryPoolIo final : public apps::ConnIo {
   public:
    explicit DryPoolIo(FakeIo& inner) : inner_(inner) {}
    size_t send(tcp::ConnId id, std::span<const uint8_t> b) override {
      if (dry) return 0;
      return inner_.send(id, b);
    }
    size_t send_space(tcp::ConnId id) const override { return inner_.send_space(id); }
    void shutdown_write(tcp::ConnId id) override { inner_.shutdown_write(id); }
    void abort(tcp::ConnId id) override { inner_.abort(id); }
    void resume_read(tcp::ConnId id) override { inner_.resume_read(id); }
    void want_writable(tcp::ConnId id) override { inner_.want_writable(id); }
    uint32_t& app_word(tcp::ConnId id) override { return inner_.app_word(id); }
    uint32_t& app_index(tcp::ConnId id) override { return inner_.app_index(id); }
    bool dry = false;

   private:
    FakeIo& inner_;
  };
  FakeIo fake;
  DryPoolIo io(fake);
  apps::HttpWsApp app;
  const char* error = nullptr;
  REQUIRE(app.init(io, Harness::small_config(), nullptr, &error));
  fake.conns[1] = FakeConn{};
  app.on_established(1);
  const Bytes req = bytes_of(kUpgrade);
  REQUIRE(app.on_data(1, req) == req.size());
  const Bytes frame = client_frame(0x81, bytes_of("abc"));
  app.on_data(1, std::span<const uint8_t>(frame).first(8));  // borrows a frame state and a message buffer
  CHECK(app.frame_states_in_use() == 1);
  io.dry = true;
  app.on_data(1, std::span<const uint8_t>(frame).subspan(8));
  CHECK(fake.conns[1].aborted);
  CHECK(app.frame_states_in_use() == 0);
  CHECK(app.stats().aborts_no_send_space == 1);
}

namespace {

apps::WsConfig assembly_config() {
  apps::WsConfig cfg = Harness::small_config();
  cfg.max_message_bytes = 4096;
  cfg.message_buffers = 16;        // 16 x 256 = the largest message, exactly
  cfg.message_buffer_bytes = 256;
  return cfg;
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 13 + (i >> 8));
  return b;
}

// Feeds `stream` in two pieces cut at `split`, the way TCP would.
void feed_split(Harness& h, tcp::ConnId id, const Bytes& stream, size_t split) {
  const Bytes a(stream.begin(), stream.begin() + static_cast<long>(split));
  const Bytes b(stream.begin() + static_cast<long>(split), stream.end());
  if (!a.empty()) REQUIRE(h.feed(id, a) == a.size());
  if (!b.empty()) REQUIRE(h.feed(id, b) == b.size());
}

}  // namespace

TEST_CASE("assembly: every split gives one identical frame per message; buffers go back at once") {
  const Bytes big = pattern(1000, 3);  // spans 4 buffers of 256
  const Bytes stream = concat({client_frame(0x82, big), client_frame(0x01, bytes_of("fr")),
                               client_frame(0x89, bytes_of("pi")), client_frame(0x80, bytes_of("ag"))});
  for (size_t split = 0; split <= stream.size(); ++split) {
    CAPTURE(split);
    Harness h(assembly_config());
    h.upgrade(1);
    feed_split(h, 1, stream, split);
    bool ok = false;
    const auto frames = parse_server_frames(h.conn(1).out, &ok);
    REQUIRE(ok);
    REQUIRE(frames.size() == 3);  // big, pong, "frag": every data message is ONE frame
    CHECK(frames[0].opcode == 2);
    CHECK(frames[0].fin);
    CHECK(frames[0].payload == big);
    CHECK(frames[1].opcode == 0xA);
    CHECK(text_of(frames[1].payload) == "pi");
    CHECK(frames[2].opcode == 1);
    CHECK(frames[2].fin);
    CHECK(text_of(frames[2].payload) == "frag");
    CHECK(h.app.message_buffers_in_use() == 0);
    CHECK(h.app.frame_states_in_use() == 0);
    CHECK(h.app.stats().messages_in == 2);
  }
}

TEST_CASE("assembly: a message in one call goes out directly, without buffers") {
  Harness h(assembly_config());
  h.upgrade(1);
  const Bytes payload = pattern(1000, 9);
  h.feed(1, client_frame(0x82, payload));
  CHECK(h.app.stats().messages_direct == 1);
  CHECK(h.app.stats().messages_assembled == 0);
  bool ok = false;
  const auto frames = parse_server_frames(h.conn(1).out, &ok);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload == payload);
  // The same frame across two calls is assembled.
  h.conn(1).out.clear();
  const Bytes f = client_frame(0x82, payload);
  feed_split(h, 1, f, 500);
  CHECK(h.app.stats().messages_assembled == 1);
  CHECK(parse_server_frames(h.conn(1).out, &ok).at(0).payload == payload);
}

TEST_CASE("assembly: nothing of a message is echoed before an error ends it, at every split") {
  struct Case {
    const char* name;
    Bytes stream;
    std::vector<uint8_t> close;
  };
  const Case cases[] = {
      {"new data frame inside a fragmented message",
       concat({client_frame(0x01, bytes_of("part")), client_frame(0x81, bytes_of("new"))}), {0x03, 0xEA}},
      {"invalid UTF-8 split across fragments",
       concat({client_frame(0x01, Bytes{'o', 'k', 0xE2, 0x82}), client_frame(0x80, Bytes{0x28})}), {0x03, 0xEF}},
      {"fragments over max_message_bytes",
       concat({client_frame(0x02, pattern(3000, 1)), client_frame(0x80, pattern(1097, 2))}), {0x03, 0xF1}},
  };
  for (const Case& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    for (size_t split = 0; split <= c.stream.size(); ++split) {
      CAPTURE(split);
      Harness h(assembly_config());
      h.upgrade(1);
      feed_split(h, 1, c.stream, split);
      CHECK(h.conn(1).out == Bytes{0x88, 0x02, c.close[0], c.close[1]});  // the close and nothing else
      CHECK(h.conn(1).shut);
      CHECK(h.app.message_buffers_in_use() == 0);
      CHECK(h.app.frame_states_in_use() == 0);
    }
  }
}

TEST_CASE("assembly: a frame declaring more than max_message_bytes is refused on its header") {
  Harness h(assembly_config());
  h.upgrade(1);
  const Bytes f = client_frame(0x82, pattern(5000, 4));
  // Header only (2 + 2 + 4 mask): the payload never needs to arrive.
  CHECK(h.feed(1, Bytes(f.begin(), f.begin() + 8)) == 8);
  CHECK(h.conn(1).out == Bytes{0x88, 0x02, 0x03, 0xF1});
  CHECK(h.app.message_buffers_in_use() == 0);
  CHECK(h.app.frame_states_in_use() == 0);
}

TEST_CASE("assembly: message buffer pool empty closes 1013 and is counted; others unaffected") {
  apps::WsConfig cfg = assembly_config();
  cfg.message_buffers = 3;  // 768 bytes in all
  Harness h(cfg);
  h.upgrade(1);
  h.upgrade(2);
  const Bytes m1 = client_frame(0x82, pattern(600, 5));  // needs 3 buffers
  h.feed(1, Bytes(m1.begin(), m1.begin() + 300));
  CHECK(h.app.message_buffers_in_use() == 2);
  const Bytes m2 = client_frame(0x82, pattern(600, 6));
  h.feed(2, Bytes(m2.begin(), m2.begin() + 300));  // takes the last buffer, then finds none
  CHECK(h.conn(2).out == Bytes{0x88, 0x02, 0x03, 0xF5});
  CHECK(h.app.stats().pool_empty_message == 1);
  CHECK(h.app.stats().close_sent_1013 == 1);
  CHECK(h.app.message_buffers_in_use() == 2);  // conn 2's buffer went back
  h.feed(1, Bytes(m1.begin() + 300, m1.end()));
  bool ok = false;
  const auto frames = parse_server_frames(h.conn(1).out, &ok);
  REQUIRE(ok);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload == pattern(600, 5));
  CHECK(h.app.message_buffers_in_use() == 0);
}

TEST_CASE("assembly: short send space finishes the message on on_writable; later input waits, in order") {
  Harness h(assembly_config());
  h.upgrade(1);
  const Bytes payload = pattern(1500, 7);
  const Bytes f = client_frame(0x82, payload);
  const Bytes ping = client_frame(0x89, bytes_of("after"));
  h.feed(1, Bytes(f.begin(), f.begin() + 700));
  h.conn(1).space = 400;
  const Bytes rest = concat({Bytes(f.begin() + 700, f.end()), ping});
  // The message completes but only 400 bytes fit: the ping behind it stays in TCP.
  const size_t used = h.feed(1, rest);
  CHECK(used == f.size() - 700);
  CHECK(h.conn(1).out.size() == 400);
  CHECK(h.conn(1).short_send);
  CHECK(h.app.message_buffers_in_use() > 0);
  // More input while the message is still going out: not decoded.
  h.conn(1).short_send = false;
  const Bytes held(rest.begin() + static_cast<long>(used), rest.end());
  CHECK(h.feed(1, held) == 0);
  for (int round = 0; round < 20 && h.app.message_buffers_in_use() > 0; ++round) {
    h.conn(1).space = 400;
    h.app.on_writable(1);
  }
  CHECK(h.app.message_buffers_in_use() == 0);
  CHECK(h.conn(1).resumes > 0);
  h.conn(1).space = 65536;
  CHECK(h.feed(1, held) == held.size());
  bool ok = false;
  const auto frames = parse_server_frames(h.conn(1).out, &ok);
  REQUIRE(ok);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].payload == payload);
  CHECK(frames[1].opcode == 0xA);
  CHECK(text_of(frames[1].payload) == "after");
}

TEST_CASE("idle ping sweep: ping after a quiet period, pong keeps it, silence closes 1001") {
  apps::WsConfig cfg = Harness::small_config();
  cfg.idle_ping_ms = 100;
  cfg.conn_id_limit = 8;
  Harness h(cfg);
  const uint64_t t0 = 5'000'000;
  h.app.poll(t0);
  h.upgrade(2);   // will answer
  h.upgrade(5);   // will stay silent
  h.open(6);      // still in the handshake: never pinged
  const Bytes ping = {0x89, 0x00};
  h.app.poll(t0 + 50'000);  // half a round: ids 0..3 visited (2 had activity from the upgrade)
  h.app.poll(t0 + 100'000);
  CHECK(h.conn(2).out.empty());
  CHECK(h.conn(5).out.empty());
  h.app.poll(t0 + 200'000);  // a whole quiet round
  CHECK(h.conn(2).out == ping);
  CHECK(h.conn(5).out == ping);
  CHECK(h.conn(6).out.empty());
  CHECK(h.app.stats().idle_pings_sent == 2);
  h.feed(2, client_frame(0x8A, {}));  // pong
  h.conn(2).out.clear();
  h.conn(5).out.clear();
  h.app.poll(t0 + 300'000);
  CHECK(h.conn(2).out.empty());
  CHECK(h.conn(5).out == Bytes{0x88, 0x02, 0x03, 0xE9});  // 1001
  CHECK(h.conn(5).shut);
  CHECK(h.app.stats().idle_timeouts == 1);
  CHECK(h.app.stats().close_sent_1001 == 1);
  h.app.poll(t0 + 400'000);
  CHECK(h.conn(2).out == ping);  // quiet again since the pong
  CHECK_FALSE(h.conn(2).shut);
  // Slices: a poll in the middle of a round visits only the ids that came due.
  h.conn(2).out.clear();
  h.app.poll(t0 + 420'000);  // ids < 8 * 0.2 = 1.6: not 2 yet
  CHECK(h.conn(2).out.empty());
  h.app.poll(t0 + 500'000);
  CHECK(h.conn(2).out == Bytes{0x88, 0x02, 0x03, 0xE9});
}

TEST_CASE("idle ping: never inside a frame still being written") {
  apps::WsConfig cfg = assembly_config();
  cfg.idle_ping_ms = 100;
  cfg.conn_id_limit = 4;
  Harness h(cfg);
  h.app.poll(1'000'000);
  h.upgrade(1);
  const Bytes f = client_frame(0x82, pattern(1000, 8));
  h.feed(1, Bytes(f.begin(), f.begin() + 500));
  h.conn(1).space = 100;
  h.feed(1, Bytes(f.begin() + 500, f.end()));  // assembled, 100 bytes out
  h.conn(1).space = 2;                        // room for a ping, but it must wait
  h.app.poll(1'100'000);
  h.app.poll(1'200'000);
  h.app.poll(1'300'000);
  CHECK(h.app.stats().idle_pings_sent == 0);
  CHECK(h.conn(1).out.size() == 100);
  CHECK_FALSE(h.conn(1).shut);
}
