// The TF1 readers (before tf.data): TextLineReader, TFRecordReader,
// WholeFileReader, FixedLengthRecordReader and IdentityReader, V1 (string
// [container, name] ref handles) and V2 (resource handles), on the ReaderBase
// of kernels/reader.h; the Reader* verbs that use them; FakeQueue (a V2 queue
// handed to a V1 reader); ReadFile and WriteFile.
//
// A reader is a session resource created by its op on first run. Keys are
// TF's: "<file>:<line number>" (counting header lines), "<file>:<byte offset>"
// for TFRecords, "<file>:<record index>" for fixed-length records, the file
// name for whole files and the work itself for IdentityReader.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/reader.h"
#include "kernels/util/input_stream.h"
#include "kernels/util/tfrecord.h"
#include "framework/registry.h"

namespace metarun {
namespace {

// ---- the kinds of reader ----

class TextLineReader : public Reader {
 public:
  TextLineReader(std::string name, int64_t skip) : Reader(std::move(name)), skip_(skip) {}

 protected:
  Status on_work_started(const FileUser& user) override {
    line_ = 0;
    MR_RETURN_IF_ERROR(InputStream::open(user, work(), Compression::kNone, 0, &stream_));
    // A file shorter than its header has no records.
    std::string header;
    for (bool got = true; got && line_ < skip_;) {
      MR_RETURN_IF_ERROR(stream_->read_line(&header, &got, InputStream::CarriageReturns::kDropLast));
      if (got) ++line_;
    }
    return Status();
  }
  Status read_locked(const FileUser&, std::string* key, std::string* value, bool* produced, bool* at_end) override {
    bool got = false;
    MR_RETURN_IF_ERROR(stream_->read_line(value, &got, InputStream::CarriageReturns::kDropLast));
    ++line_;
    if (!got) {
      *at_end = true;
      return Status();
    }
    *key = str_cat(work(), ":", line_);
    *produced = true;
    return Status();
  }
  void close_file() override {
    stream_.reset();
    line_ = 0;
  }

 private:
  int64_t skip_;
  int64_t line_ = 0;
  std::unique_ptr<InputStream> stream_;
};

class TFRecordReader : public Reader {
 public:
  TFRecordReader(std::string name, Compression c) : Reader(std::move(name)), compression_(c) {}

 protected:
  Status on_work_started(const FileUser& user) override {
    error_ = Status();
    return InputStream::open(user, work(), compression_, 0, &stream_);
  }
  // TF re-reads a record that failed from its offset, failing the same way:
  // the error sticks until the reader moves on.
  Status read_locked(const FileUser&, std::string* key, std::string* value, bool* produced, bool* at_end) override {
    MR_RETURN_IF_ERROR(error_);
    const uint64_t offset = stream_->position();
    bool got = false;
    error_ = read_tfrecord(*stream_, value, &got);
    MR_RETURN_IF_ERROR(error_);
    if (!got) {
      *at_end = true;
      return Status();
    }
    *key = str_cat(work(), ":", offset);
    *produced = true;
    return Status();
  }
  void close_file() override {
    stream_.reset();
    error_ = Status();
  }

 private:
  Compression compression_;
  std::unique_ptr<InputStream> stream_;
  Status error_;
};

class WholeFileReader : public Reader {
 public:
  using Reader::Reader;

 protected:
  Status read_locked(const FileUser& user, std::string* key, std::string* value, bool* produced,
                     bool* at_end) override {
    *key = work();
    MR_RETURN_IF_ERROR(read_file(user, *key, value));
    *produced = *at_end = true;
    return Status();
  }
  bool serializable() const override { return true; }
};

class IdentityReader : public Reader {
 public:
  using Reader::Reader;

 protected:
  Status read_locked(const FileUser&, std::string* key, std::string* value, bool* produced, bool* at_end) override {
    *key = *value = work();
    *produced = *at_end = true;
    return Status();
  }
  bool serializable() const override { return true; }
};

struct FixedLengthSpec {
  uint64_t header = 0, record = 0, footer = 0, hop = 0;
  Compression compression = Compression::kNone;
};

// Record k starts at header + k * (hop or record) bytes and is read when its
// record and a footer's worth of bytes follow; a short tail is dropped.
class FixedLengthRecordReader : public Reader {
 public:
  FixedLengthRecordReader(std::string name, FixedLengthSpec spec) : Reader(std::move(name)), spec_(spec) {}

 protected:
  Status on_work_started(const FileUser& user) override {
    record_ = 0;
    ahead_.clear();
    MR_RETURN_IF_ERROR(InputStream::open(user, work(), spec_.compression, 0, &stream_));
    uint64_t skipped = 0;
    MR_RETURN_IF_ERROR(stream_->skip(spec_.header, &skipped));
    if (skipped < spec_.header) return out_of_range("reached end of file");
    return Status();
  }
  Status read_locked(const FileUser&, std::string* key, std::string* value, bool* produced, bool* at_end) override {
    // ahead_ holds the bytes read past the previous record's start.
    if (record_ > 0) {
      const uint64_t step = spec_.hop > 0 ? spec_.hop : spec_.record;
      if (ahead_.size() >= step) {
        ahead_.erase(0, step);
      } else {
        uint64_t want = step - ahead_.size(), skipped = 0;
        ahead_.clear();
        MR_RETURN_IF_ERROR(stream_->skip(want, &skipped));
        if (skipped < want) {
          *at_end = true;
          return Status();
        }
      }
    }
    const uint64_t need = spec_.record + spec_.footer - ahead_.size();
    const size_t before = ahead_.size();
    MR_RETURN_IF_ERROR(stream_->read(need, &ahead_));
    if (ahead_.size() - before < need) {
      ahead_.clear();
      *at_end = true;
      return Status();
    }
    value->assign(ahead_, 0, spec_.record);
    *key = str_cat(work(), ":", record_);
    ++record_;
    *produced = true;
    return Status();
  }
  void close_file() override {
    stream_.reset();
    ahead_.clear();
    record_ = 0;
  }

 private:
  FixedLengthSpec spec_;
  std::unique_ptr<InputStream> stream_;
  std::string ahead_;
  int64_t record_ = 0;
};

// ---- handles ----

std::string resource_key(const std::string& container, const std::string& name) {
  return "reader:" + container + "/" + name;
}

Status get_reader(OpContext& ctx, std::shared_ptr<Reader>* out) {
  const Tensor& h = ctx.input(0);
  std::string container, name;
  if (h.dtype() == DType::kResource && h.num_elements() == 1) {
    container = h.data<ResourceHandle>()->container;
    name = h.data<ResourceHandle>()->name;
  } else if (h.dtype() == DType::kString && h.num_elements() == 2) {
    container = h.data<std::string>()[0];
    name = h.data<std::string>()[1];
  } else {
    return invalid_argument(str_cat("Node ", ctx.name(), ": input 0 is not a reader handle"));
  }
  *out = std::dynamic_pointer_cast<Reader>(ctx.resources().lookup(resource_key(container, name)));
  if (!*out) return not_found(str_cat("Resource ", container, "/", name, "/N10tensorflow15ReaderInterfaceE does not exist."));
  return Status();
}

std::mutex g_create_mu;

// A reader op: makes its reader on first run (shared through container and
// shared_name; else private to the node for the session) and outputs its handle.
class ReaderOpKernel : public OpKernel {
 public:
  using Factory = std::function<std::shared_ptr<Reader>(const std::string& name)>;

  explicit ReaderOpKernel(KernelInit& init) {
    const std::string& op = init.op();
    v2_ = op.size() > 2 && op.compare(op.size() - 2, 2, "V2") == 0;
    kind_ = v2_ ? op.substr(0, op.size() - 2) : op;
    if (init.has_attr("container")) init.get("container", &container_);
    if (init.has_attr("shared_name")) init.get("shared_name", &name_);
    if (container_.empty()) container_ = "localhost";
    if (name_.empty()) name_ = "_reader_/" + init.name();
    node_ = init.name();
  }

  Status compute(OpContext& ctx) override {
    {
      std::lock_guard<std::mutex> l(g_create_mu);
      const std::string key = resource_key(container_, name_);
      if (!std::dynamic_pointer_cast<Reader>(ctx.resources().lookup(key)))
        ctx.resources().insert(key, factory_(str_cat(kind_, " '", node_, "'")));
    }
    ctx.set_output(0, handle_tensor(container_, name_, v2_, "reader"));
    return Status();
  }

 protected:
  Factory factory_;

 private:
  bool v2_ = false;
  std::string kind_, node_, container_, name_;
};

int64_t int_attr(KernelInit& init, const char* name, int64_t fallback) {
  int64_t v = fallback;
  if (init.has_attr(name)) init.get(name, &v);
  return v;
}

std::string string_attr(KernelInit& init, const char* name) {
  std::string v;
  if (init.has_attr(name)) init.get(name, &v);
  return v;
}

class TextLineReaderOp : public ReaderOpKernel {
 public:
  explicit TextLineReaderOp(KernelInit& init) : ReaderOpKernel(init) {
    int64_t skip = int_attr(init, "skip_header_lines", 0);
    if (skip < 0) init.fail(invalid_argument(str_cat("skip_header_lines must be >= 0 not ", skip)));
    factory_ = [skip](const std::string& name) { return std::make_shared<TextLineReader>(name, skip); };
  }
};

class TFRecordReaderOp : public ReaderOpKernel {
 public:
  explicit TFRecordReaderOp(KernelInit& init) : ReaderOpKernel(init) {
    // TF reads an unknown compression_type as none.
    Compression c = Compression::kNone;
    parse_compression(string_attr(init, "compression_type"), &c);
    factory_ = [c](const std::string& name) { return std::make_shared<TFRecordReader>(name, c); };
  }
};

class FixedLengthRecordReaderOp : public ReaderOpKernel {
 public:
  explicit FixedLengthRecordReaderOp(KernelInit& init) : ReaderOpKernel(init) {
    int64_t header = int_attr(init, "header_bytes", 0), footer = int_attr(init, "footer_bytes", 0);
    int64_t hop = int_attr(init, "hop_bytes", 0), record = -1;
    init.get("record_bytes", &record);
    if (!init.status().ok()) return;
    for (auto [name, v] : {std::pair<const char*, int64_t>{"header_bytes", header}, {"record_bytes", record},
                           {"footer_bytes", footer}, {"hop_bytes", hop}})
      if (v < 0) init.fail(invalid_argument(str_cat(name, " must be >= 0 not ", v)));
    FixedLengthSpec spec;
    spec.header = static_cast<uint64_t>(header);
    spec.record = static_cast<uint64_t>(record);
    spec.footer = static_cast<uint64_t>(footer);
    spec.hop = static_cast<uint64_t>(hop);
    parse_compression(string_attr(init, "encoding"), &spec.compression);
    factory_ = [spec](const std::string& name) { return std::make_shared<FixedLengthRecordReader>(name, spec); };
  }
};

template <class R>
class PlainReaderOp : public ReaderOpKernel {
 public:
  explicit PlainReaderOp(KernelInit& init) : ReaderOpKernel(init) {
    factory_ = [](const std::string& name) { return std::make_shared<R>(name); };
  }
};

// ---- the verbs ----

class ReaderReadKernel : public OpKernel {
 public:
  explicit ReaderReadKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Reader> r;
    MR_RETURN_IF_ERROR(get_reader(ctx, &r));
    std::string key, value;
    MR_RETURN_IF_ERROR(r->read(ctx, &key, &value));
    *ctx.allocate_output(0, {}).data<std::string>() = std::move(key);
    *ctx.allocate_output(1, {}).data<std::string>() = std::move(value);
    return Status();
  }
};

class ReaderReadUpToKernel : public OpKernel {
 public:
  explicit ReaderReadUpToKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    int64_t n = 0;
    MR_RETURN_IF_ERROR(scalar_input<int64_t>(ctx, 2, "num_records must be a scalar, got shape {}", &n));
    // TF reserves n slots up front (a negative n aborts it); refused here.
    MR_REQUIRE(n >= 0, "num_records must be >= 0, got ", n);
    std::shared_ptr<Reader> r;
    MR_RETURN_IF_ERROR(get_reader(ctx, &r));
    std::vector<std::string> keys, values;
    MR_RETURN_IF_ERROR(r->read_up_to(ctx, n, &keys, &values));
    const int64_t got = static_cast<int64_t>(keys.size());
    std::string* k = ctx.allocate_output(0, {got}).data<std::string>();
    std::string* v = ctx.allocate_output(1, {got}).data<std::string>();
    for (int64_t i = 0; i < got; ++i) {
      k[i] = std::move(keys[i]);
      v[i] = std::move(values[i]);
    }
    return Status();
  }
};

class ReaderCountKernel : public OpKernel {
 public:
  explicit ReaderCountKernel(KernelInit& init) {
    units_ = init.op().find("WorkUnits") != std::string::npos;
  }
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Reader> r;
    MR_RETURN_IF_ERROR(get_reader(ctx, &r));
    *ctx.allocate_output(0, {}).data<int64_t>() = units_ ? r->work_units_completed() : r->records_produced();
    return Status();
  }

 private:
  bool units_ = false;
};

class ReaderResetKernel : public OpKernel {
 public:
  explicit ReaderResetKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Reader> r;
    MR_RETURN_IF_ERROR(get_reader(ctx, &r));
    r->reset();
    return Status();
  }
};

class ReaderSerializeStateKernel : public OpKernel {
 public:
  explicit ReaderSerializeStateKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Reader> r;
    MR_RETURN_IF_ERROR(get_reader(ctx, &r));
    std::string state;
    MR_RETURN_IF_ERROR(r->serialize(&state));
    *ctx.allocate_output(0, {}).data<std::string>() = std::move(state);
    return Status();
  }
};

class ReaderRestoreStateKernel : public OpKernel {
 public:
  explicit ReaderRestoreStateKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    std::shared_ptr<Reader> r;
    MR_RETURN_IF_ERROR(get_reader(ctx, &r));
    const Tensor& state = ctx.input(1);
    MR_REQUIRE(state.rank() == 0, "Reader state must be scalar, but had shape: ", shape_str(state.shape()));
    return r->restore(*state.data<std::string>());
  }
};

// A V2 queue's handle as a V1 (string) one: how ReaderBase hands a V2 queue
// to a V1 reader.
class FakeQueueKernel : public OpKernel {
 public:
  explicit FakeQueueKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& h = ctx.input(0);
    MR_REQUIRE(h.dtype() == DType::kResource && h.num_elements() == 1, "FakeQueue needs a queue resource handle");
    Tensor& out = ctx.allocate_output(0, {2});
    out.data<std::string>()[0] = h.data<ResourceHandle>()->container;
    out.data<std::string>()[1] = h.data<ResourceHandle>()->name;
    return Status();
  }
};

// ---- ReadFile / WriteFile ----

class ReadFileKernel : public OpKernel {
 public:
  explicit ReadFileKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& name = ctx.input(0);
    MR_REQUIRE(name.rank() == 0, "Input filename tensor must be scalar, but had shape: ", shape_str(name.shape()));
    std::string contents;
    MR_RETURN_IF_ERROR(read_file(FileUser(ctx), *name.data<std::string>(), &contents));
    *ctx.allocate_output(0, {}).data<std::string>() = std::move(contents);
    return Status();
  }
};

class WriteFileKernel : public OpKernel {
 public:
  explicit WriteFileKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& name = ctx.input(0);
    const Tensor& contents = ctx.input(1);
    MR_REQUIRE(name.rank() == 0, "Input filename tensor must be scalar, but had shape: ", shape_str(name.shape()));
    MR_REQUIRE(contents.rank() == 0, "Contents tensor must be scalar, but had shape: ", shape_str(contents.shape()));
    return write_file(FileUser(ctx), *name.data<std::string>(), *contents.data<std::string>());
  }
};

}  // namespace

void register_reader_ops(Registry& r) {
  for (std::string v : {"", "V2"}) {
    r.add("TextLineReader" + v, make_kernel<TextLineReaderOp>);
    r.add("TFRecordReader" + v, make_kernel<TFRecordReaderOp>);
    r.add("FixedLengthRecordReader" + v, make_kernel<FixedLengthRecordReaderOp>);
    r.add("WholeFileReader" + v, make_kernel<PlainReaderOp<WholeFileReader>>);
    r.add("IdentityReader" + v, make_kernel<PlainReaderOp<IdentityReader>>);
    r.add("ReaderRead" + v, make_kernel<ReaderReadKernel>);
    r.add("ReaderReadUpTo" + v, make_kernel<ReaderReadUpToKernel>);
    r.add("ReaderNumRecordsProduced" + v, make_kernel<ReaderCountKernel>);
    r.add("ReaderNumWorkUnitsCompleted" + v, make_kernel<ReaderCountKernel>);
    r.add("ReaderReset" + v, make_kernel<ReaderResetKernel>);
    r.add("ReaderSerializeState" + v, make_kernel<ReaderSerializeStateKernel>);
    r.add("ReaderRestoreState" + v, make_kernel<ReaderRestoreStateKernel>);
  }
  r.add("FakeQueue", make_kernel<FakeQueueKernel>);
  r.add("ReadFile", make_kernel<ReadFileKernel>);
  r.add("WriteFile", make_kernel<WriteFileKernel>);
}

}  // namespace metarun
