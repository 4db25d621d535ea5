// A whole file mapped read-only (mmap PROT_READ, MAP_SHARED), unmapped in the destructor. Move-only.
// The size is checked against what the caller expects before mapping. A file truncated by someone else
// while mapped makes reads past its new end fault (SIGBUS): datasets are immutable once published.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cohort {

class MappedFile {
 public:
  MappedFile() = default;
  // Maps `path` when its size is `expected_bytes` (InvalidArgumentError naming `what` otherwise) and
  // applies `advice` (an madvise MADV_* value). An empty file maps to no memory.
  MappedFile(const std::string& path, uint64_t expected_bytes, int advice, const std::string& what);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

  // madvise over the whole mapping; a hint, so failures are ignored.
  void advise(int advice) const;

 private:
  void unmap() noexcept;

  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace cohort
