#include "kernels/util/tfrecord.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/util/crc32c.h"

namespace metarun {
namespace {

Status data_loss(std::string m) { return Status(Code::kDataLoss, std::move(m)); }

uint32_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

Status read_tfrecord(InputStream& in, std::string* out, bool* got) {
  *got = false;
  const uint64_t offset = in.position();
  std::string header;
  MR_RETURN_IF_ERROR(in.read(12, &header));
  if (header.size() < 12) return Status();
  if (crc32c::unmask(load32(header.data() + 8)) != crc32c::value(header.data(), 8))
    return data_loss(str_cat("corrupted record at ", offset));
  uint64_t length;
  std::memcpy(&length, header.data(), 8);
  if (length >= SIZE_MAX - 4) return data_loss("record size too large");
  out->clear();
  uint64_t want = length + 4;
  while (want > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(want, 1 << 20));
    size_t before = out->size();
    MR_RETURN_IF_ERROR(in.read(chunk, out));
    if (out->size() - before < chunk)
      return data_loss(str_cat("truncated record at ", offset, "' failed with Read less bytes than requested"));
    want -= chunk;
  }
  const char* data = out->data();
  if (crc32c::unmask(load32(data + length)) != crc32c::value(data, length))
    return data_loss(str_cat("corrupted record at ", offset + 12));
  out->resize(length);
  *got = true;
  return Status();
}

}  // namespace metarun
