// Sequential reading of a data file through a buffer of bounded size, with
// zlib or gzip data inflated on the way: what the file-reading datasets
// (TextLineDataset, TFRecordDataset, FixedLengthRecordDataset) stand on.
// Memory stays at the buffer size (plus zlib's window) whatever the file size.
//
// A stream opens only what the run's IoPolicy lets its FileUser read
// (util/file_access.h). Errors follow TF's file system: a file that cannot
// be opened or read gives "<path>; <strerror>" with the errno's code
// (NotFound for ENOENT); corrupt compressed data is DataLoss with zlib's
// message. Compression needs zlib at build time; without it opening a
// compressed stream is Unimplemented.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "kernels/util/file_access.h"

namespace metarun {

enum class Compression { kNone, kZlib, kGzip };

// "" / "ZLIB" / "GZIP"; false for anything else.
bool parse_compression(const std::string& name, Compression* out);

class InputStream {
 public:
  // Opens `path` for `user`, once its policy allows the read; `buffer_size`
  // bytes of buffer (0: 256 KiB).
  static Status open(const FileUser& user, const std::string& path, Compression compression, size_t buffer_size,
                     std::unique_ptr<InputStream>* out);
  ~InputStream();
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;

  // Appends up to `n` bytes to *out: fewer only at the end of the data.
  Status read(size_t n, std::string* out);
  // Skips up to `n` bytes; *skipped says how many were there.
  Status skip(uint64_t n, uint64_t* skipped);
  // The next line into *line (replacing it), up to a '\n'. TF has two ways
  // of dropping carriage returns: its buffered stream (tf.data) drops every
  // '\r', its InputBuffer (the TF1 TextLineReader) only one before the end.
  // *got is false at the end of the data, and also when all that is left is
  // an empty line (once its '\r's are dropped) without '\n'.
  enum class CarriageReturns { kDropAll, kDropLast };
  Status read_line(std::string* line, bool* got, CarriageReturns cr = CarriageReturns::kDropAll);
  // Bytes of (uncompressed) data consumed so far.
  uint64_t position() const { return consumed_ + pos_; }

 private:
  struct Inflater;
  InputStream(std::string path, int fd, size_t buffer_size);
  // Makes data available at pos_ (pos_ < limit_) unless the stream is at its end.
  Status fill();
  Status read_raw(char* dst, size_t cap, size_t* got);

  std::string path_;
  int fd_ = -1;
  std::vector<char> buf_;
  size_t pos_ = 0, limit_ = 0;
  uint64_t consumed_ = 0;  // bytes before buf_[0]
  bool eof_ = false;
  std::unique_ptr<Inflater> inflater_;
};

}  // namespace metarun
