// What a run may do to the file system and how much tensor memory it may
// hold: the policy an untrusted graph runs under. Every kernel that touches
// a file asks `check_file_access` (through its RunEnv) before it acts, so a
// denied op fails before it has read, listed, created or removed anything.
//
// No policy (RunEnv::io == nullptr) means TF's behaviour: every path is
// allowed and memory is bounded only by the machine. Checks cost nothing
// then; with a policy each IO op pays one path normalisation per path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace metarun {

struct RunEnv;

enum class FileAccess { kRead, kWrite };

struct IoPolicy {
  // Normalised directories (see normalize_path): a path may be read when it
  // is one of `read` or `write` or lies under one, written when under `write`.
  std::vector<std::string> read, write;
  // How the user widens the policy, for the error message: e.g.
  // "--allow-read DIR" or "metarun.io_policy(read=[DIR])"; "{}" is replaced
  // by the directory that would allow the denied path.
  std::string allow_read_hint = "io_policy(read=[\"{}\"])";
  std::string allow_write_hint = "io_policy(write=[\"{}\"])";
  // Null: no memory budget (core/tensor.h's MemoryBudget).
  std::shared_ptr<MemoryBudget> memory;

  // Whether `normalized` (a normalize_path result) may be accessed so.
  bool allows(FileAccess access, const std::string& normalized) const;
};

// `path` made absolute against the working directory, with "." and ".."
// resolved and every symbolic link followed, component by component, as far
// as the components exist; the part that does not exist yet (a file about to
// be written) is resolved lexically. "" stays "".
std::string normalize_path(const std::string& path);

// OK when `env` has no policy or the policy allows `access` to `path`; else
// PermissionDenied naming the node, its op, the path (as given and as
// resolved) and the option that would allow it.
Status check_file_access(const RunEnv& env, const std::string& node, const std::string& op, FileAccess access,
                         const std::string& path);

// The directory part of a glob pattern: everything before the component
// holding the first '*', '?', '[' or '\\' (the pattern itself when it has
// none). A listing of `pattern` reads only under this directory.
std::string glob_base(const std::string& pattern);

}  // namespace metarun
