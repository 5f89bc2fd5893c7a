#include "framework/io_policy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "framework/kernel.h"

namespace metarun {

namespace {

std::vector<std::string> split_components(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  if (parts.empty()) return "/";
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out;
}

std::string current_dir() {
  std::string buf(PATH_MAX, '\0');
  if (::getcwd(buf.data(), buf.size()) == nullptr) return "/";
  buf.resize(std::char_traits<char>::length(buf.c_str()));
  return buf;
}

bool under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path.size() >= dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string fill_hint(std::string hint, const std::string& dir) {
  size_t at = hint.find("{}");
  if (at != std::string::npos) hint.replace(at, 2, dir);
  return hint;
}

std::string list_dirs(const std::vector<std::string>& dirs) {
  std::string out;
  for (const auto& d : dirs) out += (out.empty() ? "" : ", ") + d;
  return out;
}

}  // namespace

std::string normalize_path(const std::string& path) {
  if (path.empty()) return path;
  // Components still to resolve, front first (kept reversed for cheap pops).
  std::vector<std::string> todo = split_components(path[0] == '/' ? path : current_dir() + "/" + path);
  std::reverse(todo.begin(), todo.end());
  std::vector<std::string> done;
  bool exists = true;  // every component in `done` exists
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(c);
    if (!exists) continue;
    const std::string here = join(done);
    struct stat st;
    if (::lstat(here.c_str(), &st) != 0) {
      exists = false;
      continue;
    }
    if (!S_ISLNK(st.st_mode)) continue;
    if (++links > 40) {  // a loop: leave the rest lexical, as it cannot be opened anyway
      exists = false;
      continue;
    }
    std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : PATH_MAX) + 1, '\0');
    ssize_t n = ::readlink(here.c_str(), target.data(), target.size());
    if (n < 0) {
      exists = false;
      continue;
    }
    target.resize(static_cast<size_t>(n));
    done.pop_back();
    if (!target.empty() && target[0] == '/') done.clear();
    auto more = split_components(target);
    for (auto it = more.rbegin(); it != more.rend(); ++it) todo.push_back(*it);
  }
  return join(done);
}

bool IoPolicy::allows(FileAccess access, const std::string& normalized) const {
  for (const auto& d : write)
    if (under(normalized, d)) return true;
  if (access == FileAccess::kRead)
    for (const auto& d : read)
      if (under(normalized, d)) return true;
  return false;
}

Status check_file_access(const RunEnv& env, const std::string& node, const std::string& op, FileAccess access,
                         const std::string& path) {
  const IoPolicy* policy = env.io;
  if (policy == nullptr) return Status();
  const std::string resolved = normalize_path(path);
  if (!resolved.empty() && policy->allows(access, resolved)) return Status();
  const bool reading = access == FileAccess::kRead;
  std::vector<std::string> dirs;  // the readable ones first, each once
  for (const auto* list : {&policy->read, &policy->write})
    if (reading || list == &policy->write)
      for (const auto& d : *list)
        if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  std::string shown = path == resolved ? str_cat("'", path, "'") : str_cat("'", path, "' (", resolved, ")");
  return permission_denied(str_cat("Node '", node, "' (", op, ") may not ", reading ? "read " : "write ", shown,
                                   ": this run may ", reading ? "read" : "write",
                                   dirs.empty() ? " no file" : str_cat(" only under ", list_dirs(dirs)),
                                   ". To allow it: ",
                                   fill_hint(reading ? policy->allow_read_hint : policy->allow_write_hint,
                                             parent_of(resolved.empty() ? "/" : resolved))));
}

std::string glob_base(const std::string& pattern) {
  size_t first = pattern.find_first_of("*?[\\");
  if (first == std::string::npos) return pattern;
  size_t slash = pattern.rfind('/', first);
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : pattern.substr(0, slash);
}

}  // namespace metarun
