// crc32c (Castagnoli polynomial) and the masking TFRecord framing and
// LevelDB-style tables apply to a stored crc, so that a crc of data that
// itself holds crcs does not come out trivially.
#pragma once

#include <cstddef>
#include <cstdint>

namespace metarun {
namespace crc32c {

// The crc32c of data[0, n) continuing from `crc` (the crc of what came before).
uint32_t extend(uint32_t crc, const char* data, size_t n);
inline uint32_t value(const char* data, size_t n) { return extend(0, data, n); }

constexpr uint32_t kMaskDelta = 0xa282ead8u;
// Rotate right by 15 bits, add a constant.
inline uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace crc32c
}  // namespace metarun
