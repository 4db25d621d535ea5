// Bit streams of the wire format: bits fill each byte from its least significant bit up; a stream ends
// on a byte boundary with zero padding. The reader is bounded by its span and reports overruns instead
// of reading past them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cohort::codec {

class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>& out) : out_(out) {}

  // Appends the low `count` (<= 32) bits of `value`, least significant first.
  void write(uint32_t value, int count) {
    acc_ |= static_cast<uint64_t>(value & (count == 32 ? 0xFFFFFFFFU : ((1U << count) - 1U))) << filled_;
    filled_ += count;
    while (filled_ >= 8) {
      out_.push_back(static_cast<uint8_t>(acc_));
      acc_ >>= 8;
      filled_ -= 8;
    }
  }
  // Appends `count` one bits then a zero bit (the unary part of a Rice code).
  void unary(uint32_t count) {
    while (count >= 16) {
      write(0xFFFFU, 16);
      count -= 16;
    }
    write((1U << count) - 1U, static_cast<int>(count) + 1);
  }
  // Pads the last byte with zero bits.
  void flush() {
    if (filled_ > 0) {
      out_.push_back(static_cast<uint8_t>(acc_));
      acc_ = 0;
      filled_ = 0;
    }
  }

 private:
  std::vector<uint8_t>& out_;
  uint64_t acc_ = 0;
  int filled_ = 0;
};

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), bits_(static_cast<uint64_t>(size) * 8) {}

  // Reads `count` (<= 32) bits; false when the stream would overrun.
  bool read(int count, uint32_t& value) {
    if (pos_ + static_cast<uint64_t>(count) > bits_) {
      return false;
    }
    uint64_t v = 0;
    for (int got = 0; got < count;) {
      const uint64_t byte = data_[pos_ >> 3];
      const int offset = static_cast<int>(pos_ & 7);
      const int take = count - got < 8 - offset ? count - got : 8 - offset;
      v |= ((byte >> offset) & ((1U << take) - 1U)) << got;
      got += take;
      pos_ += static_cast<uint64_t>(take);
    }
    value = static_cast<uint32_t>(v);
    return true;
  }
  // Reads a unary count (ones up to a zero); false on overrun or when it exceeds `limit`.
  bool unary(uint32_t limit, uint32_t& count) {
    count = 0;
    while (true) {
      if (pos_ >= bits_) {
        return false;
      }
      const int bit = (data_[pos_ >> 3] >> (pos_ & 7)) & 1;
      ++pos_;
      if (bit == 0) {
        return true;
      }
      if (++count > limit) {
        return false;
      }
    }
  }
  uint64_t position() const { return pos_; }
  uint64_t size_bits() const { return bits_; }
  // True when everything after the current position is zero padding within the last byte and nothing
  // else remains (a canonical stream).
  bool at_canonical_end() const {
    if ((pos_ + 7) / 8 != bits_ / 8) {
      return false;
    }
    if ((pos_ & 7) == 0) {
      return true;
    }
    return (data_[pos_ >> 3] >> (pos_ & 7)) == 0;
  }

 private:
  const uint8_t* data_;
  uint64_t bits_;
  uint64_t pos_ = 0;
};

}  // namespace cohort::codec
