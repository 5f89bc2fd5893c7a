#include "kernels/util/file_access.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "kernels/util/input_stream.h"

namespace metarun {

// The codes TF's file system gives errnos (ErrnoToCode), for those a file
// operation can meet.
Status file_error(const std::string& path, int err) {
  Code code = Code::kUnknown;
  switch (err) {
    case ENOENT: case ENODEV: case ENXIO: code = Code::kNotFound; break;
    case EACCES: case EPERM: case EROFS: code = Code::kPermissionDenied; break;
    case EINVAL: case ENAMETOOLONG: case ESPIPE: code = Code::kInvalidArgument; break;
    case EISDIR: case ENOTDIR: case ELOOP: code = Code::kFailedPrecondition; break;
    case EMFILE: case ENFILE: case ENOMEM: case ENOSPC: code = Code::kResourceExhausted; break;
    case EFBIG: case EOVERFLOW: code = Code::kOutOfRange; break;
    case EAGAIN: case EINTR: code = static_cast<Code>(14); break;  // Unavailable
    default: break;
  }
  return Status(code, str_cat(path, "; ", std::strerror(err)));
}

Status file_size(const FileUser& user, const std::string& path, uint64_t* out) {
  MR_RETURN_IF_ERROR(user.check(FileAccess::kRead, path));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return file_error(path, errno);
  *out = static_cast<uint64_t>(st.st_size);
  return Status();
}

Status read_file(const FileUser& user, const std::string& path, std::string* out) {
  std::unique_ptr<InputStream> in;
  MR_RETURN_IF_ERROR(InputStream::open(user, path, Compression::kNone, 1 << 20, &in));
  out->clear();
  constexpr size_t kChunk = 1 << 20;
  for (size_t before = 0; out->size() == before; before += kChunk) MR_RETURN_IF_ERROR(in->read(kChunk, out));
  return Status();
}

namespace {

Status write_mode(const FileUser& user, const std::string& path, const std::string& data, const char* mode) {
  MR_RETURN_IF_ERROR(user.check(FileAccess::kWrite, path));
  std::FILE* f = std::fopen(path.c_str(), mode);
  if (!f) return file_error(path, errno);
  const bool wrote = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  const int err = errno;
  if (std::fclose(f) != 0 || !wrote) return file_error(path, wrote ? errno : err);
  return Status();
}

}  // namespace

Status write_file(const FileUser& user, const std::string& path, const std::string& data) {
  MR_RETURN_IF_ERROR(user.check(FileAccess::kWrite, path));
  // The directories `mkdir -p` would make (TF's RecursivelyCreateDir),
  // outermost first, each checked before the first is made: a path that
  // climbs out through a directory not there yet ("new/../../x") is
  // allowed as a whole only when every directory it creates is.
  std::vector<std::string> dirs;
  const size_t slash = path.find_last_of('/');
  std::string dir = slash != std::string::npos && slash > 0 ? path.substr(0, slash) : "";
  struct stat st;
  while (!dir.empty() && ::stat(dir.c_str(), &st) != 0) {
    dirs.insert(dirs.begin(), dir);
    const size_t up = dir.find_last_of('/');
    if (up == std::string::npos || up == 0) break;
    dir.resize(up);
  }
  for (const std::string& d : dirs) MR_RETURN_IF_ERROR(user.check(FileAccess::kWrite, d));
  for (const std::string& d : dirs)
    if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return file_error(d, errno);
  return write_mode(user, path, data, "wb");
}

Status append_file(const FileUser& user, const std::string& path, const std::string& data) {
  return write_mode(user, path, data, "ab");
}

Status path_exists(const FileUser& user, const std::string& path, bool* exists) {
  MR_RETURN_IF_ERROR(user.check(FileAccess::kRead, path));
  struct stat st;
  *exists = ::stat(path.c_str(), &st) == 0;
  return Status();
}

Status is_directory(const FileUser& user, const std::string& path, bool* dir) {
  MR_RETURN_IF_ERROR(user.check(FileAccess::kRead, path));
  struct stat st;
  *dir = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  return Status();
}

Status list_directory(const FileUser& user, const std::string& dir, std::vector<std::string>* names) {
  MR_RETURN_IF_ERROR(user.check(FileAccess::kRead, dir));
  names->clear();
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Status();
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names->emplace_back(e->d_name);
  }
  ::closedir(d);
  return Status();
}

}  // namespace metarun
