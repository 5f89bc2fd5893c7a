// A TF1 reader (TF's ReaderBase): turns work units (file names) taken one at
// a time from a queue (kernels/queue.h) into records. A unit starts when its
// file opens (a file that does not open is dropped, and the error returned)
// and ends when its records run out. A reader serializes its state as TF's
// ReaderBaseState proto when its kind allows, and a failed restore resets it,
// as in TF. All methods may be called from several runs at once: one mutex
// serializes them (a read blocked on its queue holds it).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "framework/kernel.h"
#include "kernels/util/file_access.h"

namespace metarun {

class Reader : public Resource {
 public:
  // `name` ("<kind> '<node>'") appears in TF's messages.
  explicit Reader(std::string name) : name_(std::move(name)) {}

  // One record, taking work from the queue whose handle is ctx's input 1.
  Status read(OpContext& ctx, std::string* key, std::string* value);
  // Up to n records, all from one work unit: after a unit ends, only a call
  // that has produced nothing yet goes on to the next (so fewer may come).
  Status read_up_to(OpContext& ctx, int64_t n, std::vector<std::string>* keys, std::vector<std::string>* values);
  int64_t records_produced();
  int64_t work_units_completed();
  void reset();
  Status serialize(std::string* out);
  Status restore(const std::string& state);

 protected:
  // Opens the work unit's file, for `user` (the Reader* node reading: its
  // run's IoPolicy decides).
  virtual Status on_work_started(const FileUser&) { return Status(); }
  // The next record of the current unit: *produced when a record was made,
  // *at_end when the unit has no more (both may be set), else an error; a
  // failed call leaves the unit in progress, to be read again.
  virtual Status read_locked(const FileUser& user, std::string* key, std::string* value, bool* produced,
                             bool* at_end) = 0;
  // Drops what was kept for the current file.
  virtual void close_file() {}
  // WholeFileReader and IdentityReader: no state beyond ReaderBase's.
  virtual bool serializable() const { return false; }

  const std::string& work() const { return work_; }

 private:
  bool in_progress() const { return work_finished_ < work_started_; }
  Status start_work(OpContext& ctx);
  void finish_work();
  void reset_locked();
  Status restore_locked(const std::string& state);

  std::mutex mu_;
  const std::string name_;
  int64_t work_started_ = 0, work_finished_ = 0, produced_ = 0;
  std::string work_;
};

}  // namespace metarun
