// Read-only whole-file mappings (see core/mapped_file.h).
#include "core/mapped_file.h"

#include <sys/mman.h>

#include <cerrno>
#include <utility>

#include "cohort/errors.h"
#include "core/file_io.h"

namespace cohort {

MappedFile::MappedFile(const std::string& path, uint64_t expected_bytes, int advice, const std::string& what) {
  const io::ReadOnlyFile file(path);  // the mapping outlives the descriptor
  if (file.size() != expected_bytes) {
    throw InvalidArgumentError(expected_message(std::to_string(expected_bytes) + " bytes", what + " (" + path + ")",
                                                std::to_string(file.size()) + " bytes"));
  }
  if (expected_bytes == 0) return;
  void* mapping = ::mmap(nullptr, static_cast<size_t>(expected_bytes), PROT_READ, MAP_SHARED, file.fd(), 0);
  if (mapping == MAP_FAILED) io::throw_errno("cannot mmap", path, errno);
  data_ = static_cast<const uint8_t*>(mapping);
  size_ = expected_bytes;
  advise(advice);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    unmap();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() { unmap(); }

void MappedFile::unmap() noexcept {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), static_cast<size_t>(size_));
  data_ = nullptr;
  size_ = 0;
}

void MappedFile::advise(int advice) const {
  if (data_ != nullptr) ::madvise(const_cast<uint8_t*>(data_), static_cast<size_t>(size_), advice);
}

}  // namespace cohort
