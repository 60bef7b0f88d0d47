#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ws/frame_decoder.hpp"
#include "ws_test_frames.hpp"

using namespace wsgate::ws;
using namespace wsgate::ws::test;

namespace {

// Joins delivered pieces into messages and writes every event as text, so
// any split of the input must produce the same transcript.
class RecordingSink final : public FrameSink {
 public:
  size_t room = SIZE_MAX;  // output bytes available (data_room / has_room)

  bool has_room(size_t bytes) override { return bytes <= room; }
  bool on_direct_start(Opcode type, uint64_t len) override {
    if (!has_room(server_header_size(len))) return false;
    CHECK_FALSE(open_);
    spend(server_header_size(len));
    current_ = type == Opcode::Text ? "T:" : "B:";
    direct_left_ = len;
    ++direct_messages;
    if (len == 0) events.push_back(current_);
    else open_ = true;
    return true;
  }
  size_t direct_room(size_t want) override { return std::min(want, room); }
  void on_direct_data(std::span<const uint8_t> bytes) override {
    REQUIRE(open_);
    REQUIRE(bytes.size() <= direct_left_);
    REQUIRE(bytes.size() <= room);
    current_.append(bytes.begin(), bytes.end());
    spend(bytes.size());
    direct_left_ -= bytes.size();
    if (direct_left_ == 0) {
      events.push_back(current_);
      open_ = false;
    }
  }
  bool on_message_data(Opcode type, std::span<const uint8_t> bytes, bool begin, bool end) override {
    if (begin) {
      CHECK_FALSE(open_);
      open_ = true;
      current_ = type == Opcode::Text ? "T:" : "B:";
    }
    CHECK(open_);
    CHECK((bytes.size() > 0 || end));
    current_.append(bytes.begin(), bytes.end());
    if (end) {
      events.push_back(current_);
      open_ = false;
      ++assembled_messages;
    }
    return true;
  }
  void on_ping(std::span<const uint8_t> p) override {
    spend(2 + p.size());
    events.push_back("P:" + std::string(p.begin(), p.end()));
  }
  void on_pong(std::span<const uint8_t> p) override { events.push_back("p:" + std::string(p.begin(), p.end())); }
  void on_close(uint16_t code, std::span<const uint8_t> reason) override {
    events.push_back("C:" + std::to_string(code) + ":" + std::string(reason.begin(), reason.end()));
  }

  std::vector<std::string> events;
  int direct_messages = 0;
  int assembled_messages = 0;

 private:
  void spend(size_t n) {
    if (room != SIZE_MAX) room -= std::min(room, n);
  }
  bool open_ = false;
  uint64_t direct_left_ = 0;
  std::string current_;
};

struct Outcome {
  std::vector<std::string> events;
  DecodeStatus status = DecodeStatus::Ok;
  uint16_t code = 0;
  size_t consumed = 0;
};

// Feeds input in the given pieces, stopping at Closed or Error like the app.
Outcome run(const Bytes& input, const std::vector<size_t>& cuts, const FrameDecoderConfig& cfg) {
  FrameDecoder decoder;
  RecordingSink sink;
  Outcome o;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    const DecodeResult r = decoder.feed(cfg, std::span<const uint8_t>(input).subspan(start, end - start), sink);
    o.consumed += r.consumed;
    o.status = r.status;
    o.code = r.close_code;
    if (r.status == DecodeStatus::Closed || r.status == DecodeStatus::Error) break;
    REQUIRE(r.status == DecodeStatus::Ok);
    REQUIRE(r.consumed == end - start);
    start = end;
  }
  o.events = sink.events;
  return o;
}

struct Case {
  const char* name;
  Bytes input;
  std::vector<std::string> events;
  DecodeStatus status;
  uint16_t code;
};

Bytes repeat(size_t n, char c) { return Bytes(n, static_cast<uint8_t>(c)); }

std::vector<Case> corpus() {
  const Bytes euro = {0xE2, 0x82, 0xAC};
  std::vector<Case> c;
  auto ok = [&](const char* n, Bytes in, std::vector<std::string> ev) {
    c.push_back({n, std::move(in), std::move(ev), DecodeStatus::Ok, 0});
  };
  auto bad = [&](const char* n, Bytes in, std::vector<std::string> ev, uint16_t code) {
    c.push_back({n, std::move(in), std::move(ev), DecodeStatus::Error, code});
  };
  ok("text", client_frame(0x81, bytes_of("hello")), {"T:hello"});
  ok("empty binary", client_frame(0x82, {}), {"B:"});
  ok("empty text", client_frame(0x81, {}), {"T:"});
  ok("16-bit length", client_frame(0x82, repeat(126, 'x')), {"B:" + std::string(126, 'x')});
  ok("16-bit length, 300", client_frame(0x82, repeat(300, 'y')), {"B:" + std::string(300, 'y')});
  ok("non-minimal 16-bit", client_frame(0x81, bytes_of("abc"), true, 16), {"T:abc"});
  ok("non-minimal 64-bit", client_frame(0x81, bytes_of("abc"), true, 64), {"T:abc"});
  ok("two messages", concat({client_frame(0x81, bytes_of("a")), client_frame(0x82, bytes_of("b"))}), {"T:a", "B:b"});
  ok("fragments with ping between",
     concat({client_frame(0x01, bytes_of("fr")), client_frame(0x89, bytes_of("hi")), client_frame(0x80, bytes_of("ag"))}),
     {"P:hi", "T:frag"});
  ok("empty fragments",
     concat({client_frame(0x02, {}), client_frame(0x00, bytes_of("x")), client_frame(0x00, {}), client_frame(0x80, {})}),
     {"B:x"});
  ok("code point cut across fragments",
     concat({client_frame(0x01, Bytes{euro[0], euro[1]}), client_frame(0x80, Bytes{euro[2]})}), {"T:\xE2\x82\xAC"});
  ok("empty ping and unsolicited pong", concat({client_frame(0x89, {}), client_frame(0x8A, bytes_of("u"))}),
     {"P:", "p:u"});
  ok("125-byte ping", client_frame(0x89, repeat(125, 'p')), {"P:" + std::string(125, 'p')});
  c.push_back({"close with code and reason", client_frame(0x88, Bytes{0x03, 0xE8, 'b', 'y', 'e'}), {"C:1000:bye"},
               DecodeStatus::Closed, 0});
  c.push_back({"empty close", client_frame(0x88, {}), {"C:0:"}, DecodeStatus::Closed, 0});
  c.push_back({"close code 4999", client_frame(0x88, Bytes{0x13, 0x87}), {"C:4999:"}, DecodeStatus::Closed, 0});
  c.push_back({"message then close then more",
               concat({client_frame(0x81, bytes_of("m")), client_frame(0x88, Bytes{0x03, 0xE9}),
                       client_frame(0x81, bytes_of("late"))}),
               {"T:m", "C:1001:"}, DecodeStatus::Closed, 0});

  bad("unmasked", client_frame(0x81, bytes_of("x"), false), {}, 1002);
  bad("rsv1", client_frame(0xC1, bytes_of("x")), {}, 1002);
  bad("rsv3", client_frame(0x91, bytes_of("x")), {}, 1002);
  bad("opcode 3", client_frame(0x83, bytes_of("x")), {}, 1002);
  bad("opcode 0xB", client_frame(0x8B, {}), {}, 1002);
  bad("fragmented ping", client_frame(0x09, bytes_of("x")), {}, 1002);
  bad("ping over 125", client_frame(0x89, repeat(126, 'p')), {}, 1002);
  bad("continuation without message", client_frame(0x80, bytes_of("x")), {}, 1002);
  bad("text inside fragmented message", concat({client_frame(0x01, bytes_of("a")), client_frame(0x81, bytes_of("b"))}),
      {}, 1002);
  {
    Bytes top_bit = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
    bad("64-bit length with top bit", top_bit, {}, 1002);
  }
  bad("text starting with F5", client_frame(0x81, Bytes{0xF5, 'a'}), {}, 1007);
  bad("overlong in text", client_frame(0x81, Bytes{'a', 0xC0, 0xAF}), {}, 1007);
  bad("surrogate in text", client_frame(0x81, Bytes{0xED, 0xA0, 0x80}), {}, 1007);
  bad("truncated at message end", client_frame(0x81, Bytes{'a', 0xE2, 0x82}), {}, 1007);
  bad("invalid in second fragment",
      concat({client_frame(0x01, bytes_of("ok")), client_frame(0x80, Bytes{0xFF})}), {}, 1007);
  bad("truncated across final fragment",
      concat({client_frame(0x01, Bytes{0xF0, 0x9F}), client_frame(0x80, Bytes{0x98})}), {}, 1007);
  bad("close with 1-byte payload", client_frame(0x88, Bytes{0x03}), {}, 1002);
  bad("close 999", client_frame(0x88, Bytes{0x03, 0xE7}), {}, 1002);
  bad("close 1005", client_frame(0x88, Bytes{0x03, 0xED}), {}, 1002);
  bad("close 1006", client_frame(0x88, Bytes{0x03, 0xEE}), {}, 1002);
  bad("close 1016", client_frame(0x88, Bytes{0x03, 0xF8}), {}, 1002);
  bad("close 2999", client_frame(0x88, Bytes{0x0B, 0xB7}), {}, 1002);
  bad("close 5000", client_frame(0x88, Bytes{0x13, 0x88}), {}, 1002);
  bad("close reason not UTF-8", client_frame(0x88, Bytes{0x03, 0xE8, 0xC3}), {}, 1007);
  bad("binary message over 1000 bytes", client_frame(0x82, repeat(1001, 'z')), {}, 1009);
  bad("fragments over 1000 bytes",
      concat({client_frame(0x02, repeat(600, 'z')), client_frame(0x80, repeat(401, 'z'))}), {}, 1009);
  ok("fragments of exactly 1000 bytes",
     concat({client_frame(0x02, repeat(600, 'z')), client_frame(0x80, repeat(400, 'z'))}),
     {"B:" + std::string(1000, 'z')});
  return c;
}

}  // namespace

TEST_CASE("decoder corpus: same events and close code at every split point") {
  FrameDecoderConfig cfg;
  cfg.max_message_bytes = 1000;
  for (const Case& c : corpus()) {
    const std::string name = c.name;
    CAPTURE(name);
    const Outcome whole = run(c.input, {}, cfg);
    CHECK(whole.events == c.events);
    CHECK(whole.status == c.status);
    CHECK(whole.code == c.code);
    for (size_t split = 1; split < c.input.size(); ++split) {
      CAPTURE(split);
      const Outcome o = run(c.input, {split}, cfg);
      CHECK(o.events == c.events);
      CHECK(o.status == c.status);
      CHECK(o.code == c.code);
      if (c.status != DecodeStatus::Error) CHECK(o.consumed == whole.consumed);
    }
    // One byte at a time.
    std::vector<size_t> cuts;
    for (size_t i = 1; i < c.input.size(); ++i) cuts.push_back(i);
    const Outcome bytewise = run(c.input, cuts, cfg);
    CHECK(bytewise.events == c.events);
    CHECK(bytewise.code == c.code);
  }
}

TEST_CASE("64-bit lengths: a 70000-byte binary frame at a few splits") {
  Bytes payload(70000);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 31);
  const Bytes frame = client_frame(0x82, payload);
  REQUIRE((frame[1] & 0x7F) == 127);
  const std::string expected = "B:" + std::string(payload.begin(), payload.end());
  FrameDecoderConfig cfg;
  for (size_t split : {size_t{1}, size_t{9}, size_t{13}, size_t{14}, size_t{15}, size_t{8206}, frame.size() - 1}) {
    CAPTURE(split);
    const Outcome o = run(frame, {split}, cfg);
    REQUIRE(o.events.size() == 1);
    CHECK(o.events[0] == expected);
  }
}

TEST_CASE("invalid UTF-8 fails on the bad byte, before the frame ends") {
  FrameDecoder decoder;
  RecordingSink sink;
  const Bytes frame = client_frame(0x81, Bytes{'a', 'b', 0xF5, 'c', 'd', 'e'});
  // Header (6) + "ab" + F5: the rest of the frame never needs to arrive.
  const DecodeResult r = decoder.feed({}, std::span<const uint8_t>(frame).first(9), sink);
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.close_code == 1007);

  FrameDecoder overlong;
  const Bytes frame2 = client_frame(0x01, Bytes{'x', 0xE0, 0x80, 'y'});
  const DecodeResult r2 = overlong.feed({}, std::span<const uint8_t>(frame2).first(9), sink);
  CHECK(r2.status == DecodeStatus::Error);
  CHECK(r2.close_code == 1007);
}

TEST_CASE("errors in the header are reported on the offending byte") {
  FrameDecoder decoder;
  RecordingSink sink;
  const Bytes bad_opcode = {0x85};
  CHECK(decoder.feed({}, bad_opcode, sink).close_code == 1002);
  FrameDecoder d2;
  const Bytes unmasked_start = {0x81, 0x05};
  const DecodeResult r = d2.feed({}, unmasked_start, sink);
  CHECK(r.status == DecodeStatus::Error);
  CHECK(r.consumed == 1);
}

TEST_CASE("RSV bits pass when an extension allows them") {
  FrameDecoderConfig cfg;
  cfg.allowed_rsv = 0x40;
  const Outcome o = run(client_frame(0xC1, bytes_of("z")), {}, cfg);
  CHECK(o.status == DecodeStatus::Ok);
  CHECK(o.events == std::vector<std::string>{"T:z"});
}

TEST_CASE("idle() only between frames with no message open") {
  FrameDecoder decoder;
  RecordingSink sink;
  CHECK(decoder.idle());
  const Bytes first = client_frame(0x01, bytes_of("ab"));
  decoder.feed({}, std::span<const uint8_t>(first).first(3), sink);
  CHECK_FALSE(decoder.idle());
  decoder.feed({}, std::span<const uint8_t>(first).subspan(3), sink);
  CHECK_FALSE(decoder.idle());  // the fragmented message is still open
  const Bytes last = client_frame(0x80, bytes_of("c"));
  decoder.feed({}, last, sink);
  CHECK(decoder.idle());
  CHECK(sink.events == std::vector<std::string>{"T:abc"});
}

TEST_CASE("backpressure: Blocked leaves input unconsumed and resumes exactly") {
  const Bytes input = concat({client_frame(0x81, bytes_of("0123456789")), client_frame(0x89, bytes_of("pp"))});
  FrameDecoder decoder;
  RecordingSink sink;
  sink.room = 3;
  size_t pos = 0;
  int blocked = 0;
  for (int round = 0; round < 50 && pos < input.size(); ++round) {
    const DecodeResult r = decoder.feed({}, std::span<const uint8_t>(input).subspan(pos), sink);
    pos += r.consumed;
    if (r.status == DecodeStatus::Blocked) {
      ++blocked;
      sink.room = 4;  // as if an ACK freed space (4: the pong must fit at once)
    } else {
      REQUIRE(r.status == DecodeStatus::Ok);
    }
  }
  CHECK(pos == input.size());
  CHECK(blocked > 0);
  CHECK(sink.events == std::vector<std::string>{"T:0123456789", "P:pp"});

  // A ping whose reply does not fit is held on its last byte.
  FrameDecoder d2;
  RecordingSink s2;
  s2.room = 2;
  const Bytes ping = client_frame(0x89, bytes_of("abc"));
  const DecodeResult r = d2.feed({}, ping, s2);
  CHECK(r.status == DecodeStatus::Blocked);
  CHECK(r.consumed == ping.size() - 1);
  CHECK(s2.events.empty());
  s2.room = 5;
  const DecodeResult r2 = d2.feed({}, std::span<const uint8_t>(ping).subspan(r.consumed), s2);
  CHECK(r2.status == DecodeStatus::Ok);
  CHECK(s2.events == std::vector<std::string>{"P:abc"});
}

TEST_CASE("direct path only when the whole message is in one call; assembled otherwise") {
  const Bytes frame = client_frame(0x81, bytes_of("hello"));
  {
    FrameDecoder d;
    RecordingSink sink;
    d.feed({}, frame, sink);
    CHECK(sink.direct_messages == 1);
    CHECK(sink.assembled_messages == 0);
  }
  for (size_t split = 7; split < frame.size(); ++split) {  // cut inside the payload
    CAPTURE(split);
    FrameDecoder d;
    RecordingSink sink;
    d.feed({}, std::span<const uint8_t>(frame).first(split), sink);
    d.feed({}, std::span<const uint8_t>(frame).subspan(split), sink);
    CHECK(sink.direct_messages == 0);
    CHECK(sink.assembled_messages == 1);
    CHECK(sink.events == std::vector<std::string>{"T:hello"});
  }
  // Cut inside the header: the payload still arrives whole in the second call.
  FrameDecoder d;
  RecordingSink sink;
  d.feed({}, std::span<const uint8_t>(frame).first(3), sink);
  d.feed({}, std::span<const uint8_t>(frame).subspan(3), sink);
  CHECK(sink.direct_messages == 1);
  // Invalid UTF-8 at the end of a whole message: nothing reaches the sink.
  FrameDecoder bad;
  RecordingSink s2;
  const DecodeResult r = bad.feed({}, client_frame(0x81, Bytes{'a', 'b', 0xC3}), s2);
  CHECK(r.close_code == 1007);
  CHECK(s2.direct_messages == 0);
  CHECK(s2.events.empty());
}
