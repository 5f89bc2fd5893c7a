#include "kernels/reader.h"

#include <cstdio>

#include "kernels/queue.h"

namespace metarun {
namespace {

// ---- ReaderBaseState: work_started = 1, work_finished = 2,
// num_records_produced = 3 (int64), current_work = 4 (bytes) ----

struct BaseState {
  int64_t work_started = 0, work_finished = 0, produced = 0;
  std::string work;
};

void put_varint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool get_varint(const std::string& s, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < s.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(s[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// proto3: fields at their default are not written.
std::string encode_state(const BaseState& st) {
  std::string out;
  const int64_t ints[3] = {st.work_started, st.work_finished, st.produced};
  for (int i = 0; i < 3; ++i) {
    if (ints[i] == 0) continue;
    out.push_back(static_cast<char>((i + 1) << 3));
    put_varint(static_cast<uint64_t>(ints[i]), &out);
  }
  if (!st.work.empty()) {
    out.push_back(static_cast<char>(4 << 3 | 2));
    put_varint(st.work.size(), &out);
    out += st.work;
  }
  return out;
}

// Accepts what a proto parser accepts: any field order, later values
// winning, unknown fields skipped.
bool decode_state(const std::string& s, BaseState* st) {
  size_t pos = 0;
  while (pos < s.size()) {
    uint64_t tag, v;
    if (!get_varint(s, &pos, &tag) || (tag >> 3) == 0) return false;
    const uint64_t field = tag >> 3;
    switch (tag & 7) {
      case 0:
        if (!get_varint(s, &pos, &v)) return false;
        if (field == 1) st->work_started = static_cast<int64_t>(v);
        if (field == 2) st->work_finished = static_cast<int64_t>(v);
        if (field == 3) st->produced = static_cast<int64_t>(v);
        break;
      case 1:
        if (s.size() - pos < 8) return false;
        pos += 8;
        break;
      case 2:
        if (!get_varint(s, &pos, &v) || v > s.size() - pos) return false;
        if (field == 4) st->work.assign(s, pos, v);
        pos += v;
        break;
      case 5:
        if (s.size() - pos < 4) return false;
        pos += 4;
        break;
      default:
        return false;
    }
  }
  return true;
}

// absl's CEscape, which TF's messages use for bytes.
std::string c_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\%03o", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

// The proto's text form, as DebugString gives it in TF's messages.
std::string debug_string(const BaseState& st) {
  std::string out;
  if (st.work_started) out += str_cat("work_started: ", st.work_started, "\n");
  if (st.work_finished) out += str_cat("work_finished: ", st.work_finished, "\n");
  if (st.produced) out += str_cat("num_records_produced: ", st.produced, "\n");
  if (!st.work.empty()) out += str_cat("current_work: \"", c_escape(st.work), "\"\n");
  return out;
}

}  // namespace

Status Reader::read(OpContext& ctx, std::string* key, std::string* value) {
  const FileUser user(ctx);
  std::lock_guard<std::mutex> l(mu_);
  for (;;) {
    if (!in_progress()) MR_RETURN_IF_ERROR(start_work(ctx));
    bool produced = false, at_end = false;
    Status s = read_locked(user, key, value, &produced, &at_end);
    if (s.ok() && !at_end && !produced)
      s = internal_error(str_cat("ReadLocked() for ", name_, " must set *at_end=true, *produced=true, or return an error."));
    if (s.ok() && at_end) finish_work();
    MR_RETURN_IF_ERROR(s);
    if (produced) {
      ++produced_;
      return Status();
    }
  }
}

Status Reader::read_up_to(OpContext& ctx, int64_t n, std::vector<std::string>* keys,
                          std::vector<std::string>* values) {
  const FileUser user(ctx);
  std::lock_guard<std::mutex> l(mu_);
  int64_t done = 0;
  while (done < n) {
    if (!in_progress()) MR_RETURN_IF_ERROR(start_work(ctx));
    bool produced = false, at_end = false;
    std::string key, value;
    Status s = read_locked(user, &key, &value, &produced, &at_end);
    if (produced) {
      keys->push_back(std::move(key));
      values->push_back(std::move(value));
      ++done;
      ++produced_;
    }
    if (s.ok() && !at_end && !produced)
      s = internal_error(str_cat("ReadManyLocked() for ", name_,
                                 " must set *at_end=true, *num_produced > 0 or return an error."));
    MR_RETURN_IF_ERROR(s);
    if (at_end) {
      finish_work();
      if (done > 0) break;
    }
  }
  return Status();
}

int64_t Reader::records_produced() {
  std::lock_guard<std::mutex> l(mu_);
  return produced_;
}

int64_t Reader::work_units_completed() {
  std::lock_guard<std::mutex> l(mu_);
  return work_finished_;
}

void Reader::reset() {
  std::lock_guard<std::mutex> l(mu_);
  reset_locked();
}

Status Reader::serialize(std::string* out) {
  std::lock_guard<std::mutex> l(mu_);
  if (!serializable()) return unimplemented("Reader SerializeState");
  *out = encode_state({work_started_, work_finished_, produced_, work_});
  return Status();
}

Status Reader::restore(const std::string& state) {
  std::lock_guard<std::mutex> l(mu_);
  Status s = restore_locked(state);
  if (!s.ok()) reset_locked();
  return s;
}

// TF's GetNextWorkLocked: the work is "" when the dequeue fails.
Status Reader::start_work(OpContext& ctx) {
  std::vector<Tensor> tuple;
  work_.clear();
  MR_RETURN_IF_ERROR(dequeue_one(ctx, 1, &tuple));
  if (tuple.size() != 1) return invalid_argument("Expected single component queue");
  if (tuple[0].dtype() != DType::kString) return invalid_argument("Expected queue with single string component");
  if (tuple[0].num_elements() != 1) return invalid_argument("Expected to dequeue a one-element string tensor");
  work_ = *tuple[0].data<std::string>();
  MR_RETURN_IF_ERROR(on_work_started(FileUser(ctx)));
  ++work_started_;
  return Status();
}

void Reader::finish_work() {
  close_file();
  work_finished_ = work_started_;
}

void Reader::reset_locked() {
  close_file();
  work_started_ = work_finished_ = produced_ = 0;
  work_.clear();
}

Status Reader::restore_locked(const std::string& state) {
  if (!serializable()) return unimplemented("Reader RestoreState");
  BaseState st;
  if (!decode_state(state, &st))
    return invalid_argument(str_cat("Could not parse state for ", name_, ": ", c_escape(state)));
  work_started_ = st.work_started;
  work_finished_ = st.work_finished;
  produced_ = st.produced;
  work_ = st.work;
  if (work_started_ < 0 || work_finished_ < 0 || produced_ < 0)
    return invalid_argument(str_cat("Unexpected negative value when restoring in ", name_, ": ", debug_string(st)));
  if (work_started_ > work_finished_)
    return invalid_argument(
        str_cat("Inconsistent work started vs. finished when restoring in ", name_, ": ", debug_string(st)));
  return Status();
}

}  // namespace metarun
