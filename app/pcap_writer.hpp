// A bounded pcap file of what one lcore receives and sends (--capture).
// Opt-in debugging: one buffered fwrite per frame, no allocation after open.
// Timestamps are the worker's clock, which in --replay mode is the input
// capture's, so a replay writes a byte-identical file on every run.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace wsgate::app {

class PcapWriter {
 public:
  PcapWriter() = default;
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // max_bytes bounds the whole file; frames that would pass it are counted
  // in dropped() and not written.
  bool open(const std::string& path, uint64_t max_bytes, std::string* error);
  void write(const uint8_t* frame, uint32_t len, uint64_t ts_us);
  void close();
  bool is_open() const { return f_ != nullptr; }
  uint64_t written() const { return frames_; }
  uint64_t dropped() const { return dropped_; }

 private:
  std::FILE* f_ = nullptr;
  char* buf_ = nullptr;
  uint64_t bytes_ = 0;
  uint64_t max_bytes_ = 0;
  uint64_t frames_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace wsgate::app
