#include "app/pcap_writer.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace wsgate::app {

namespace {

constexpr uint32_t kSnapLen = 65535;
constexpr size_t kIoBuffer = 1 << 20;

struct FileHeader {
  uint32_t magic = 0xa1b2c3d4;  // microsecond timestamps, host byte order
  uint16_t major = 2;
  uint16_t minor = 4;
  int32_t thiszone = 0;
  uint32_t sigfigs = 0;
  uint32_t snaplen = kSnapLen;
  uint32_t linktype = 1;        // Ethernet
};

struct RecordHeader {
  uint32_t ts_sec;
  uint32_t ts_usec;
  uint32_t incl_len;
  uint32_t orig_len;
};

}  // namespace

PcapWriter::~PcapWriter() { close(); }

bool PcapWriter::open(const std::string& path, uint64_t max_bytes, std::string* error) {
  close();
  if (max_bytes < sizeof(FileHeader)) {
    *error = fmt::format("capture size bound {} is smaller than a pcap header", max_bytes);
    return false;
  }
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) {
    *error = fmt::format("cannot write capture file {}: {}", path, std::strerror(errno));
    return false;
  }
  buf_ = new char[kIoBuffer];
  std::setvbuf(f_, buf_, _IOFBF, kIoBuffer);
  FileHeader h;
  std::fwrite(&h, sizeof h, 1, f_);
  bytes_ = sizeof h;
  max_bytes_ = max_bytes;
  return true;
}

void PcapWriter::write(const uint8_t* frame, uint32_t len, uint64_t ts_us) {
  if (!f_) return;
  uint32_t incl = len < kSnapLen ? len : kSnapLen;
  if (bytes_ + sizeof(RecordHeader) + incl > max_bytes_) {
    ++dropped_;
    return;
  }
  RecordHeader r{static_cast<uint32_t>(ts_us / 1'000'000), static_cast<uint32_t>(ts_us % 1'000'000), incl, len};
  std::fwrite(&r, sizeof r, 1, f_);
  std::fwrite(frame, 1, incl, f_);
  bytes_ += sizeof r + incl;
  ++frames_;
}

void PcapWriter::close() {
  if (f_) std::fclose(f_);
  f_ = nullptr;
  delete[] buf_;
  buf_ = nullptr;
}

}  // namespace wsgate::app
