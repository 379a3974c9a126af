// safetensors read/write (https://github.com/huggingface/safetensors format): an 8-byte
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, raw data.
// Reading memory-maps the file and validates it as strictly as the reference reader (the Rust crate)
// before any tensor is built over the mapping: header length within the file and at most 100 MB,
// header a JSON object starting with '{' with no repeated key at any depth, __metadata__ a
// string→string map, every dtype a format dtype, shapes of non-negative integers whose byte size
// (overflow-checked) equals end − begin, and offsets that tile the data section exactly (no
// overlap, no gap, nothing after the last tensor). Nothing is copied until a caller copies.
#pragma once
#include <torch/torch.h>

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace eye {

struct TensorEntry {
  std::string name;
  std::string dtype;  // as in the file: any safetensors dtype (F32, BF16, F8_E4M3, U32, ...; see dtype_bits)
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets into the data section
};

class SafetensorsFile {
 public:
  // Opens and validates; throws EngineError(Safetensors) naming the file and tensor on any defect.
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool has(const std::string& name) const { return entries_.count(name) > 0; }
  const TensorEntry& entry(const std::string& name) const;
  // A tensor viewing the mapping (read-only memory: never write to it). Keeps the mapping alive.
  // Throws EngineError(Checkpoint) naming the tensor when libtorch has no type for its dtype
  // (F8_*, U16/U32/U64, F4, ...): such tensors can be listed but not read.
  torch::Tensor view(const std::string& name) const;
  // Whether view() can build a tensor of this entry's dtype.
  static bool readable_dtype(const std::string& dtype);
  // Drops the mapped pages of a tensor's bytes from this process's resident set
  // (madvise(MADV_DONTNEED); the mapping is private and read-only, so a later access re-reads the
  // file). Call after the bytes were copied: a load then holds one tensor's pages at a time, not
  // the whole file's (peak RSS ≈ model + largest tensor instead of model + file).
  void release(const std::string& name) const;
  // The same for bytes [begin, end) of a tensor's data (offsets within the tensor), rounded inward
  // to whole pages, so the pages of neighbouring bytes that were not consumed yet are kept.
  void release(const std::string& name, uint64_t begin, uint64_t end) const;

 private:
  std::string path_;
  std::shared_ptr<void> mapping_;  // the mmap region; tensors hold a copy of this pointer
  size_t size_ = 0;
  const uint8_t* data_ = nullptr;  // start of the data section
  uint64_t data_size_ = 0;
  std::map<std::string, TensorEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// The engine's one atomic file writer: `body` writes into a temp file beside `path` (return false
// on a failed write, errno set); then flush, fsync, a checked close, rename over `path`, and an
// fsync of the folder so the rename survives a power loss. On failure the temp file is removed and
// the old file is untouched. Errors are EngineError(Checkpoint) naming the path and the cause.
void write_file_atomic(const std::string& path, const std::function<bool(FILE*)>& body);

// A text file through write_file_atomic.
void write_text_atomic(const std::string& path, const std::string& text);

// Writes tensors (contiguous copies are made as needed) atomically: temp file, fsync, rename.
// `dtypes` may override the stored dtype per tensor ("F32", "BF16", ...); default keeps each tensor's.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

torch::ScalarType dtype_from_safetensors(const std::string& dtype, const std::string& context);
std::string dtype_to_safetensors(torch::ScalarType t);
// Bits per element of every dtype the safetensors format defines (BOOL, U8, I8, F8_E5M2, F8_E4M3,
// F8_E8M0, I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64, and the sub-byte F4, F6_E2M3,
// F6_E3M2); 0 for a name the format does not define. Source: safetensors' Dtype enum (Rust crate).
size_t dtype_bits(const std::string& dtype);
// Whole bytes per element (dtype_bits / 8); 0 for sub-byte and unknown dtypes.
size_t dtype_size(const std::string& dtype);

}  // namespace eye
