// POSIX file helpers: positional reads, bounded small-file reads, atomic replacement (see core/file_io.h).
#include "core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "cohort/errors.h"

namespace cohort::io {
namespace {

void close_quietly(int fd) {
  if (fd >= 0) ::close(fd);  // only on paths that already failed or only read: nothing left to report
}

}  // namespace

void throw_errno(std::string_view action, const std::string& path, int error) {
  std::string message(action);
  message.append(" ").append(path).append(": ").append(std::generic_category().message(error));
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case EACCES:
    case EPERM:
    case EROFS:
    case ELOOP:
    case ENAMETOOLONG:
    case EEXIST:
      throw InvalidArgumentError(message);
    default:
      throw IllegalStateError(message);
  }
}

ReadOnlyFile::ReadOnlyFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw_errno("cannot open", path_, errno);
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const int error = errno;
    close_quietly(fd_);
    throw_errno("cannot stat", path_, error);
  }
  if (!S_ISREG(info.st_mode)) {
    close_quietly(fd_);
    throw InvalidArgumentError(expected_message("a regular file", path_, "something else (a directory?)"));
  }
  size_ = static_cast<uint64_t>(info.st_size);
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

ReadOnlyFile& ReadOnlyFile::operator=(ReadOnlyFile&& other) noexcept {
  if (this != &other) {
    close_quietly(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
  }
  return *this;
}

ReadOnlyFile::~ReadOnlyFile() { close_quietly(fd_); }

void ReadOnlyFile::read_exact(uint64_t offset, void* out, size_t size) const {
  auto* dst = static_cast<char*>(out);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd_, dst + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read", path_, errno);
    if (n == 0) {
      throw InvalidArgumentError(path_ + ": file ends at byte " + std::to_string(offset + done) + ", before the " +
                                 std::to_string(size) + " bytes at offset " + std::to_string(offset) +
                                 " that its format requires (truncated while reading?)");
    }
    done += static_cast<size_t>(n);
  }
}

std::string read_small_file(const std::string& path, size_t max_bytes) {
  const ReadOnlyFile file(path);
  if (file.size() > max_bytes) {
    throw InvalidArgumentError(expected_message("a file of at most " + std::to_string(max_bytes) + " bytes", path,
                                                std::to_string(file.size()) + " bytes"));
  }
  std::string contents(static_cast<size_t>(file.size()), '\0');
  file.read_exact(0, contents.data(), contents.size());
  return contents;
}

AtomicFileWriter::AtomicFileWriter(std::string path)
    : path_(std::move(path)), temp_path_(path_ + ".tmp-" + std::to_string(::getpid())) {
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("cannot create", temp_path_, errno);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (committed_) return;
  close_quietly(fd_);
  ::unlink(temp_path_.c_str());  // best effort: the write already failed and is being reported
}

void AtomicFileWriter::write(const void* data, size_t size) {
  if (committed_) throw IllegalStateError("write() after commit() of " + path_);
  const auto* src = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, src, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot write", temp_path_, errno);
    src += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFileWriter::commit() {
  if (committed_) throw IllegalStateError("commit() called twice for " + path_);
  if (::fsync(fd_) != 0) throw_errno("cannot fsync", temp_path_, errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) throw_errno("cannot close", temp_path_, errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) throw_errno("cannot rename onto", path_, errno);
  committed_ = true;
  const std::string directory = parent_directory(path_);
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) throw_errno("cannot open directory", directory, errno);
  const int synced = ::fsync(dir_fd);
  const int error = errno;
  close_quietly(dir_fd);
  if (synced != 0) throw_errno("cannot fsync directory", directory, error);
}

void write_file_atomically(const std::string& path, std::string_view contents) {
  AtomicFileWriter writer(path);
  writer.write(contents.data(), contents.size());
  writer.commit();
}

void create_directories(const std::string& path) {
  // Every prefix that ends before a '/', then the whole path; existing ones are fine.
  for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string prefix = path.substr(0, end);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("cannot create directory", prefix, errno);
    if (end == std::string::npos) break;
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw_errno("cannot stat", path, errno);
  if (!S_ISDIR(info.st_mode)) throw InvalidArgumentError(expected_message("a directory", path, "another kind of file"));
}

std::string parent_directory(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace cohort::io
