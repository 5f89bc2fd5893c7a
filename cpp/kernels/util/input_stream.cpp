#include "kernels/util/input_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#ifdef METARUN_HAVE_ZLIB
#include <zlib.h>
#endif

namespace metarun {
namespace {

constexpr size_t kDefaultBufferSize = 256 << 10;
// A buffer_size attr is a hint: past this the extra memory buys nothing.
constexpr size_t kMaxBufferSize = 64 << 20;

}  // namespace

bool parse_compression(const std::string& name, Compression* out) {
  if (name.empty()) *out = Compression::kNone;
  else if (name == "ZLIB") *out = Compression::kZlib;
  else if (name == "GZIP") *out = Compression::kGzip;
  else return false;
  return true;
}

#ifdef METARUN_HAVE_ZLIB
struct InputStream::Inflater {
  z_stream z{};
  bool gzip = false;
  bool input_done = false;   // the file has no more bytes
  bool stream_end = false;   // zlib saw the end of the (last) stream
  std::vector<char> in;
  ~Inflater() { inflateEnd(&z); }
};
#else
struct InputStream::Inflater {};
#endif

InputStream::InputStream(std::string path, int fd, size_t buffer_size)
    : path_(std::move(path)), fd_(fd), buf_(buffer_size) {}

InputStream::~InputStream() {
  if (fd_ >= 0) ::close(fd_);
}

Status InputStream::open(const FileUser& user, const std::string& path, Compression compression,
                         size_t buffer_size, std::unique_ptr<InputStream>* out) {
  MR_RETURN_IF_ERROR(user.check(FileAccess::kRead, path));
  if (buffer_size == 0) buffer_size = kDefaultBufferSize;
  buffer_size = std::min(buffer_size, kMaxBufferSize);
#ifndef METARUN_HAVE_ZLIB
  if (compression != Compression::kNone)
    return unimplemented(str_cat("Reading ", compression == Compression::kGzip ? "GZIP" : "ZLIB",
                                 "-compressed files needs zlib, which this build of metarun was made without: ",
                                 path));
#endif
  int fd;
  do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return file_error(path, errno);
  std::unique_ptr<InputStream> s(new InputStream(path, fd, buffer_size));
#ifdef METARUN_HAVE_ZLIB
  if (compression != Compression::kNone) {
    auto inf = std::make_unique<Inflater>();
    inf->gzip = compression == Compression::kGzip;
    inf->in.resize(buffer_size);
    // Window bits as TF's ZlibCompressionOptions: 15, plus 16 for a gzip wrapper.
    if (inflateInit2(&inf->z, inf->gzip ? MAX_WBITS + 16 : MAX_WBITS) != Z_OK)
      return Status(Code::kResourceExhausted, "Could not initialize zlib inflation");
    s->inflater_ = std::move(inf);
  }
#endif
  *out = std::move(s);
  return Status();
}

Status InputStream::read_raw(char* dst, size_t cap, size_t* got) {
  for (;;) {
    ssize_t r = ::read(fd_, dst, cap);
    if (r >= 0) {
      *got = static_cast<size_t>(r);
      return Status();
    }
    if (errno != EINTR) return file_error(path_, errno);
  }
}

Status InputStream::fill() {
  if (pos_ < limit_ || eof_) return Status();
  consumed_ += limit_;
  pos_ = limit_ = 0;
  if (!inflater_) {
    size_t got = 0;
    MR_RETURN_IF_ERROR(read_raw(buf_.data(), buf_.size(), &got));
    limit_ = got;
    eof_ = got == 0;
    return Status();
  }
#ifdef METARUN_HAVE_ZLIB
  Inflater& inf = *inflater_;
  z_stream& z = inf.z;
  z.next_out = reinterpret_cast<Bytef*>(buf_.data());
  z.avail_out = static_cast<uInt>(buf_.size());
  while (z.avail_out == buf_.size()) {
    if (z.avail_in == 0 && !inf.input_done) {
      size_t got = 0;
      MR_RETURN_IF_ERROR(read_raw(inf.in.data(), inf.in.size(), &got));
      z.next_in = reinterpret_cast<Bytef*>(inf.in.data());
      z.avail_in = static_cast<uInt>(got);
      inf.input_done = got == 0;
    }
    if (z.avail_in == 0 && (inf.input_done || inf.stream_end)) break;
    if (inf.stream_end) {
      // Concatenated gzip members read as one stream, as gunzip reads them.
      if (!inf.gzip) break;
      inflateReset(&z);
      inf.stream_end = false;
    }
    int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      inf.stream_end = true;
    } else if (rc == Z_BUF_ERROR) {
      if (inf.input_done) break;  // a truncated stream: what was inflated is all there is
    } else if (rc != Z_OK) {
      return Status(Code::kDataLoss, z.msg ? z.msg : "zlib inflation failed");
    }
  }
  limit_ = buf_.size() - z.avail_out;
  eof_ = limit_ == 0;
#endif
  return Status();
}

Status InputStream::read(size_t n, std::string* out) {
  while (n > 0) {
    MR_RETURN_IF_ERROR(fill());
    if (pos_ == limit_) break;
    size_t take = std::min(n, limit_ - pos_);
    out->append(buf_.data() + pos_, take);
    pos_ += take;
    n -= take;
  }
  return Status();
}

Status InputStream::skip(uint64_t n, uint64_t* skipped) {
  *skipped = 0;
  while (n > 0) {
    MR_RETURN_IF_ERROR(fill());
    if (pos_ == limit_) break;
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, limit_ - pos_));
    pos_ += take;
    n -= take;
    *skipped += take;
  }
  return Status();
}

Status InputStream::read_line(std::string* line, bool* got, CarriageReturns cr) {
  line->clear();
  bool newline = false;
  for (;;) {
    MR_RETURN_IF_ERROR(fill());
    if (pos_ == limit_) break;
    const char* begin = buf_.data() + pos_;
    const char* end = buf_.data() + limit_;
    const char* nl = static_cast<const char*>(std::memchr(begin, '\n', end - begin));
    const char* stop = nl ? nl : end;
    if (cr == CarriageReturns::kDropLast) {
      line->append(begin, stop - begin);
    } else {
      for (const char* p = begin; p < stop;) {
        const char* r = static_cast<const char*>(std::memchr(p, '\r', stop - p));
        const char* q = r ? r : stop;
        line->append(p, q - p);
        p = r ? r + 1 : stop;
      }
    }
    pos_ = (nl ? nl + 1 : end) - buf_.data();
    if (nl) {
      newline = true;
      break;
    }
  }
  if (cr == CarriageReturns::kDropLast && !line->empty() && line->back() == '\r') line->pop_back();
  *got = newline || !line->empty();
  return Status();
}

}  // namespace metarun
