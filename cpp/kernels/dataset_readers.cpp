// The datasets that read files: TextLineDataset, TFRecordDataset and
// FixedLengthRecordDataset(V2). Each yields scalar strings, reading its
// files one after another through a bounded buffer (util/input_stream.h).
//
// TF's behaviour on errors, which the iterators keep: a file that cannot be
// opened (or, for fixed-length records, whose body is not a whole number of
// records) fails each get_next until the iterator is remade; a corrupt or
// truncated TFRecord fails once and reading goes on with the next file.
#include <algorithm>
#include <functional>

#include "kernels/dataset_util.h"
#include "kernels/util/input_stream.h"
#include "kernels/util/tfrecord.h"
#include "framework/registry.h"

namespace metarun {
namespace {

Status data_loss(std::string m) { return Status(Code::kDataLoss, std::move(m)); }

Status read_filenames(const Tensor& t, std::vector<std::string>* out) {
  MR_REQUIRE(t.dtype() == DType::kString, "`filenames` must be a string tensor");
  MR_REQUIRE(t.rank() <= 1, "`filenames` must be a scalar or a vector.");
  const std::string* names = t.data<std::string>();
  out->assign(names, names + t.num_elements());
  return Status();
}

Status string_arg(const OpContext& ctx, int i, const char* name, std::string* out) {
  const Tensor& t = ctx.input(i);
  MR_REQUIRE(t.rank() == 0 && t.dtype() == DType::kString, name, " must be a scalar");
  *out = *t.data<std::string>();
  return Status();
}

Tensor string_scalar(std::string s) {
  Tensor t(DType::kString, {});
  *t.data<std::string>() = std::move(s);
  return t;
}

// ---- one file at a time ------------------------------------------------------------

// What each kind of dataset reads from one open file.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Opens the file for `user` (and checks what can be checked before reading).
  virtual Status open(const FileUser& user, const std::string& path) = 0;
  // The next record into *out; *got = false at the end of the file.
  virtual Status next(std::string* out, bool* got) = 0;
};

// The files a dataset reads, and the node that made it: the one a run's
// IoPolicy names when it denies a file.
struct FileList {
  std::vector<std::string> files;
  std::string node, op;
};

// A reader over the files of a dataset in order. `advance_on_error`: TF's
// TFRecord reader moves past a file whose record is corrupt; the others stay.
class FilesIterator : public IteratorBase {
 public:
  FilesIterator(DatasetPtr ds, const FileList* files, std::unique_ptr<RecordSource> source, bool advance_on_error)
      : ds_(std::move(ds)), files_(files), source_(std::move(source)), advance_on_error_(advance_on_error) {}

  Status get_next(IterCtx& ctx, std::vector<Tensor>* out, bool* end) override {
    std::string record;
    while (index_ < files_->files.size()) {
      if (ctx.cancelled()) return cancelled("Iterator was cancelled");
      if (!open_) {
        MR_RETURN_IF_ERROR(source_->open(FileUser(ctx.env(), files_->node, files_->op), files_->files[index_]));
        open_ = true;
      }
      bool got = false;
      Status s = source_->next(&record, &got);
      if (!s.ok() || !got) {
        if (s.ok() || advance_on_error_) {
          open_ = false;
          ++index_;
        }
        MR_RETURN_IF_ERROR(s);
        continue;
      }
      out->assign(1, string_scalar(std::move(record)));
      *end = false;
      return Status();
    }
    *end = true;
    return Status();
  }

 private:
  DatasetPtr ds_;  // keeps files_ alive
  const FileList* files_;
  std::unique_ptr<RecordSource> source_;
  bool advance_on_error_;
  size_t index_ = 0;
  bool open_ = false;
};

// A source that reads each file as one stream (decompressed when asked).
class StreamSource : public RecordSource {
 public:
  StreamSource(Compression c, size_t buffer_size) : compression_(c), buffer_size_(buffer_size) {}
  Status open(const FileUser& user, const std::string& path) override {
    return InputStream::open(user, path, compression_, buffer_size_, &stream_);
  }

 protected:
  Compression compression_;
  size_t buffer_size_;
  std::unique_ptr<InputStream> stream_;
};

// The inputs TextLineDataset and TFRecordDataset share, read in TF's order:
// filenames, compression_type, buffer_size.
Status read_stream_inputs(const OpContext& ctx, std::vector<std::string>* files, std::string* compression,
                          int64_t* buffer_size) {
  MR_RETURN_IF_ERROR(read_filenames(ctx.input(0), files));
  MR_RETURN_IF_ERROR(string_arg(ctx, 1, "compression_type", compression));
  return scalar_arg(ctx, 2, "buffer_size", buffer_size);
}

using SourceFactory = std::function<std::unique_ptr<RecordSource>()>;

class FilesDataset : public DatasetBase {
 public:
  FilesDataset(const OpContext& ctx, std::vector<std::string> files, SourceFactory make_source,
               bool advance_on_error)
      : DatasetBase({DType::kString}, {PartialShape{false, {}}}),
        files_{std::move(files), ctx.name(), ctx.node().op},
        make_source_(std::move(make_source)),
        advance_on_error_(advance_on_error) {}

  Status make_iterator(IterCtx&, std::unique_ptr<IteratorBase>* out) const override {
    out->reset(new FilesIterator(self(), &files_, make_source_(), advance_on_error_));
    return Status();
  }

 private:
  FileList files_;
  SourceFactory make_source_;
  bool advance_on_error_;
};

// ---- TextLineDataset -----------------------------------------------------------------

class LineSource : public StreamSource {
 public:
  using StreamSource::StreamSource;
  Status next(std::string* out, bool* got) override { return stream_->read_line(out, got); }
};

class TextLineDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;

 protected:
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    std::vector<std::string> files;
    std::string compression_name;
    int64_t buffer_size = 0;
    MR_RETURN_IF_ERROR(read_stream_inputs(ctx, &files, &compression_name, &buffer_size));
    Compression c;
    MR_REQUIRE(parse_compression(compression_name, &c), "Unsupported compression_type.");
    MR_REQUIRE(buffer_size >= 0, "`buffer_size` must be >= 0 (0 == default)");
    size_t buf = static_cast<size_t>(buffer_size);
    *out = std::make_shared<FilesDataset>(
        ctx, std::move(files), [c, buf] { return std::make_unique<LineSource>(c, buf); }, false);
    return Status();
  }
};

// ---- TFRecordDataset -------------------------------------------------------------------

class TFRecordSource : public StreamSource {
 public:
  using StreamSource::StreamSource;
  Status next(std::string* out, bool* got) override { return read_tfrecord(*stream_, out, got); }
};

class TFRecordDatasetOp : public DatasetOpKernel {
 public:
  using DatasetOpKernel::DatasetOpKernel;

 protected:
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    std::vector<std::string> files;
    std::string compression_name;
    int64_t buffer_size = 0;
    MR_RETURN_IF_ERROR(read_stream_inputs(ctx, &files, &compression_name, &buffer_size));
    // TF reads an unknown compression name as none, and a negative buffer
    // size as the default.
    Compression c = Compression::kNone;
    parse_compression(compression_name, &c);
    size_t buf = buffer_size > 0 ? static_cast<size_t>(buffer_size) : 0;
    *out = std::make_shared<FilesDataset>(
        ctx, std::move(files), [c, buf] { return std::make_unique<TFRecordSource>(c, buf); }, true);
    return Status();
  }
};

// ---- FixedLengthRecordDataset(V2) -------------------------------------------------------

struct FixedLengthSpec {
  uint64_t header = 0, record = 0, footer = 0;
  size_t buffer_size = 0;
  Compression compression = Compression::kNone;
};

std::string body_length_message(const FixedLengthSpec& spec, const std::string& path, uint64_t body) {
  return str_cat("Excluding the header (", spec.header, " bytes) and footer (", spec.footer,
                 " bytes), input file \"", path, "\" has body length ", body,
                 " bytes, which is not an exact multiple of the record length (", spec.record, " bytes).");
}

class FixedLengthSource : public RecordSource {
 public:
  explicit FixedLengthSource(FixedLengthSpec spec) : spec_(spec) {}

  Status open(const FileUser& user, const std::string& path) override {
    path_ = path;
    stream_.reset();
    if (spec_.compression == Compression::kNone) {
      // Uncompressed, the body is checked up front from the file size
      // (unsigned arithmetic, as TF's message shows for short files).
      uint64_t size = 0;
      MR_RETURN_IF_ERROR(file_size(user, path, &size));
      uint64_t body = size - (spec_.header + spec_.footer);
      if (body % spec_.record != 0) return invalid_argument(body_length_message(spec_, path, body));
      remaining_ = size >= spec_.header + spec_.footer ? body / spec_.record : 0;
    }
    MR_RETURN_IF_ERROR(InputStream::open(user, path, spec_.compression,
                                         std::max<size_t>(spec_.buffer_size, spec_.record), &stream_));
    uint64_t skipped = 0;
    MR_RETURN_IF_ERROR(stream_->skip(spec_.header, &skipped));
    if (spec_.compression != Compression::kNone) {
      // Compressed, the footer is found by reading ahead of the records.
      lookahead_.clear();
      MR_RETURN_IF_ERROR(stream_->read(spec_.footer, &lookahead_));
    }
    return Status();
  }

  Status next(std::string* out, bool* got) override {
    out->clear();
    if (spec_.compression == Compression::kNone) {
      *got = remaining_ > 0;
      if (!*got) return Status();
      MR_RETURN_IF_ERROR(stream_->read(spec_.record, out));
      if (out->size() != spec_.record) return data_loss(str_cat("Unexpected end of file: ", path_));
      --remaining_;
      return Status();
    }
    std::string chunk;
    MR_RETURN_IF_ERROR(stream_->read(spec_.record, &chunk));
    if (chunk.size() < spec_.record) {
      *got = false;
      if (chunk.empty()) return Status();
      uint64_t body = stream_->position() - (spec_.header + spec_.footer);
      return data_loss(body_length_message(spec_, path_, body));
    }
    lookahead_ += chunk;
    out->assign(lookahead_, 0, spec_.record);
    lookahead_.erase(0, spec_.record);
    *got = true;
    return Status();
  }

 private:
  FixedLengthSpec spec_;
  std::string path_;
  std::unique_ptr<InputStream> stream_;
  uint64_t remaining_ = 0;
  std::string lookahead_;
};

class FixedLengthRecordDatasetOp : public DatasetOpKernel {
 public:
  explicit FixedLengthRecordDatasetOp(KernelInit& init) : DatasetOpKernel(init), v2_(init.num_inputs() > 5) {}

 protected:
  Status make_dataset(OpContext& ctx, std::shared_ptr<DatasetBase>* out) override {
    std::vector<std::string> files;
    MR_RETURN_IF_ERROR(read_filenames(ctx.input(0), &files));
    int64_t header, record, footer, buffer_size;
    MR_RETURN_IF_ERROR(scalar_arg(ctx, 1, "header_bytes", &header));
    MR_REQUIRE(header >= 0, "`header_bytes` must be >= 0");
    MR_RETURN_IF_ERROR(scalar_arg(ctx, 2, "record_bytes", &record));
    MR_REQUIRE(record > 0, "`record_bytes` must be > 0");
    MR_RETURN_IF_ERROR(scalar_arg(ctx, 3, "footer_bytes", &footer));
    MR_REQUIRE(footer >= 0, "`footer_bytes` must be >= 0");
    MR_RETURN_IF_ERROR(scalar_arg(ctx, 4, "buffer_size", &buffer_size));
    MR_REQUIRE(buffer_size >= 0, "`buffer_size` must be >= 0");
    FixedLengthSpec spec;
    if (v2_) {
      std::string name;
      MR_RETURN_IF_ERROR(string_arg(ctx, 5, "compression_type", &name));
      MR_REQUIRE(parse_compression(name, &spec.compression), "Unsupported compression_type.");
    }
    spec.header = static_cast<uint64_t>(header);
    spec.record = static_cast<uint64_t>(record);
    spec.footer = static_cast<uint64_t>(footer);
    spec.buffer_size = static_cast<size_t>(buffer_size);
    *out = std::make_shared<FilesDataset>(
        ctx, std::move(files), [spec] { return std::make_unique<FixedLengthSource>(spec); }, false);
    return Status();
  }

 private:
  bool v2_;
};

}  // namespace

void register_dataset_reader_ops(Registry& r) {
  r.add("TextLineDataset", make_kernel<TextLineDatasetOp>);
  r.add("TFRecordDataset", make_kernel<TFRecordDatasetOp>);
  r.add("FixedLengthRecordDataset", make_kernel<FixedLengthRecordDatasetOp>);
  r.add("FixedLengthRecordDatasetV2", make_kernel<FixedLengthRecordDatasetOp>);
}

}  // namespace metarun
