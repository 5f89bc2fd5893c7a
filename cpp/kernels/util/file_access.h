// The file system as kernels see it: every function here that opens, stats,
// lists, creates or writes a path takes the FileUser it acts for and asks the
// run's IoPolicy (framework/io_policy.h) first, so a denied op fails before
// anything is read, listed or created. Kernels touch files only through
// these and InputStream::open (input_stream.h); tests/test_io_policy_kernels.py
// fails on a raw file call anywhere else under cpp/.
//
// Errors otherwise follow TF's POSIX file system: errno mapped as
// file_error does, messages "<path>; <strerror>".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "framework/io_policy.h"
#include "framework/kernel.h"

namespace metarun {

// The node a file is touched for: its run's policy, and its name and op for
// the denial. Holds references: build one where the env and names live
// (an OpContext, or an IterCtx plus names the dataset keeps).
class FileUser {
 public:
  explicit FileUser(const OpContext& ctx) : env_(ctx.env()), node_(ctx.name()), op_(ctx.node().op) {}
  FileUser(const RunEnv& env, const std::string& node, const std::string& op) : env_(env), node_(node), op_(op) {}

  // OK unless the policy forbids `access` to `path`.
  Status check(FileAccess access, const std::string& path) const {
    return env_.io ? check_file_access(env_, node_, op_, access, path) : Status();
  }

 private:
  const RunEnv& env_;
  const std::string& node_;
  const std::string& op_;
};

// TF's mapping of an errno from a file operation on `path` to a Status.
Status file_error(const std::string& path, int err);

// The size in bytes of the file at `path` (a read).
Status file_size(const FileUser& user, const std::string& path, uint64_t* out);

// The whole file at `path` into *out, read in bounded chunks.
Status read_file(const FileUser& user, const std::string& path, std::string* out);

// Replaces the file at `path` with `data`, creating its missing parent
// directories first (TF's WriteFile: RecursivelyCreateDir, then write).
Status write_file(const FileUser& user, const std::string& path, const std::string& data);

// Appends `data` to the file at `path`, creating it when missing.
Status append_file(const FileUser& user, const std::string& path, const std::string& data);

// Whether `path` exists, and whether it is a directory (stat, following
// links); a path that cannot be stat'ed is neither. Both are reads.
Status path_exists(const FileUser& user, const std::string& path, bool* exists);
Status is_directory(const FileUser& user, const std::string& path, bool* dir);

// The names in directory `dir` (without "." and ".."), in readdir order; a
// directory that cannot be opened has none. A read of `dir`.
Status list_directory(const FileUser& user, const std::string& dir, std::vector<std::string>* names);

}  // namespace metarun
