// POSIX file helpers for the engine's file formats: a read-only file with exact positional reads, a
// bounded whole-file read for small JSON documents, and atomic replacement (write `<path>.tmp-<pid>`,
// fsync, rename, fsync the directory) so readers never see a half-written file.
//
// Failures are cohort exceptions naming the path: InvalidArgumentError when the path itself is the
// problem (missing, not a directory, permission denied, read-only file system, a file shorter than its
// format says) and IllegalStateError when the system cannot complete the operation now (disk full, I/O
// error).
//
// Plain POSIX, no std::filesystem: PyTorch 2.5+ wheels export the std::filesystem symbols of their own
// statically linked libstdc++ (pytorch/pytorch#133437), which interpose ours and crash when the engine is
// built with a newer g++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cohort::io {

[[noreturn]] void throw_errno(std::string_view action, const std::string& path, int error);

// A file opened read-only. Move-only.
class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(std::string path);
  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ~ReadOnlyFile();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }  // at open time; must be a regular file

  // Reads exactly `size` bytes at `offset`; a file that ends early is an InvalidArgumentError.
  void read_exact(uint64_t offset, void* out, size_t size) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// The whole file, when it has at most max_bytes (checked before reading); InvalidArgumentError otherwise.
std::string read_small_file(const std::string& path, size_t max_bytes);

// Writes a file atomically: bytes go to `<path>.tmp-<pid>`; commit() fsyncs it, renames it over `path`
// and fsyncs the directory. Destroying an uncommitted writer removes the temporary file.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  void write(const void* data, size_t size);
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

void write_file_atomically(const std::string& path, std::string_view contents);

// Creates `path` and its missing parents (like mkdir -p).
void create_directories(const std::string& path);

// The directory part of `path` ("." when it has none).
std::string parent_directory(const std::string& path);

}  // namespace cohort::io
