#include "safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cancel.h"
#include "errors.h"

namespace eye {

using json = nlohmann::json;

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

// safetensors' MAX_HEADER_SIZE (100 MB): the reference reader refuses larger headers.
constexpr uint64_t kMaxHeaderBytes = 100000000;

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  fail(ErrorCode::Safetensors, path + ": " + what);
}

}  // namespace

size_t dtype_bits(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64" || d == "C64") return 64;
  if (d == "F32" || d == "I32" || d == "U32") return 32;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 16;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2" || d == "F8_E8M0") return 8;
  if (d == "F6_E2M3" || d == "F6_E3M2") return 6;
  if (d == "F4") return 4;
  return 0;
}

size_t dtype_size(const std::string& d) {
  const size_t b = dtype_bits(d);
  return b % 8 == 0 ? b / 8 : 0;
}

bool SafetensorsFile::readable_dtype(const std::string& d) {
  return d == "F32" || d == "F16" || d == "BF16" || d == "F64" || d == "I64" || d == "I32" || d == "I16" || d == "I8" ||
         d == "U8" || d == "BOOL";
}

torch::ScalarType dtype_from_safetensors(const std::string& d, const std::string& context) {
  if (d == "F32") return torch::kFloat32;
  if (d == "F16") return torch::kFloat16;
  if (d == "BF16") return torch::kBFloat16;
  if (d == "F64") return torch::kFloat64;
  if (d == "I64") return torch::kInt64;
  if (d == "I32") return torch::kInt32;
  if (d == "I16") return torch::kInt16;
  if (d == "I8") return torch::kInt8;
  if (d == "U8") return torch::kUInt8;
  if (d == "BOOL") return torch::kBool;
  fail(ErrorCode::Safetensors, context + ": unknown dtype \"" + d +
                                   "\" (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
}

std::string dtype_to_safetensors(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "F32";
    case torch::kFloat16: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kFloat64: return "F64";
    case torch::kInt64: return "I64";
    case torch::kInt32: return "I32";
    case torch::kInt16: return "I16";
    case torch::kInt8: return "I8";
    case torch::kUInt8: return "U8";
    case torch::kBool: return "BOOL";
    default: fail(ErrorCode::Argument, std::string("cannot store dtype ") + c10::toString(t) + " in safetensors");
  }
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) bad(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    bad(path, std::string("cannot stat: ") + std::strerror(e));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ < 8) {
    ::close(fd);
    bad(path, "truncated file: " + std::to_string(size_) + " bytes, shorter than the 8-byte header length");
  }
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) bad(path, std::string("mmap failed: ") + std::strerror(errno));
  size_t sz = size_;
  mapping_ = std::shared_ptr<void>(p, [sz](void* q) { ::munmap(q, sz); });
  const auto* bytes = static_cast<const uint8_t*>(p);

  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  if (n > size_ - 8)
    bad(path, "header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size_) +
                  " bytes; the length is the file's first 8 bytes): the file is truncated or not safetensors");
  // The limits of the reference reader (safetensors' Rust crate: MAX_HEADER_SIZE, InvalidHeaderStart).
  if (n > kMaxHeaderBytes)
    bad(path, "header length " + std::to_string(n) + " is larger than the format's limit of " +
                  std::to_string(kMaxHeaderBytes) + " bytes: not a safetensors file");
  if (n < 2 || bytes[8] != '{')
    bad(path, "the header (bytes 8.." + std::to_string(8 + n) + ") does not start with '{': not a safetensors file, or the "
              "8-byte header length is wrong");
  json header;
  // JSON allows a repeated key (the last one wins): in a header that would hide a tensor entry or
  // one of its fields, so a repeated key at any depth is refused while parsing.
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::vector<std::string> names;           // the key that opened each nested object (for the message)
  std::string pending, duplicate;
  auto no_duplicates = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys.emplace_back();
      names.push_back(pending);
    } else if (event == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
      if (!names.empty()) names.pop_back();
    } else if (event == json::parse_event_t::key) {
      pending = parsed.get<std::string>();
      if (!keys.empty() && !keys.back().insert(pending).second && duplicate.empty())
        duplicate = depth <= 1 ? "tensor \"" + pending + "\" appears twice in the header"
                               : "key \"" + pending + "\" appears twice in the entry \"" + names.back() + "\"";
    }
    return true;
  };
  try {
    header = json::parse(bytes + 8, bytes + 8 + n, no_duplicates);
  } catch (const std::exception& e) {
    bad(path, std::string("header is not valid JSON (or the 8-byte header length is wrong): ") + e.what());
  }
  if (!duplicate.empty()) bad(path, duplicate);
  if (!header.is_object()) bad(path, "header is not a JSON object");
  data_ = bytes + 8 + n;
  data_size_ = size_ - 8 - n;

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (!it->is_object()) bad(path, "__metadata__ is not an object of strings");
      for (auto m = it->begin(); m != it->end(); ++m) {
        // The format's metadata is a string→string map (safetensors' Metadata: HashMap<String, String>).
        if (!m->is_string()) bad(path, "__metadata__ field \"" + m.key() + "\" is not a string");
        metadata_[m.key()] = m->get<std::string>();
      }
      continue;
    }
    const json& e = *it;
    const std::string ctx = path + ": tensor \"" + name + "\"";
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      fail(ErrorCode::Safetensors, ctx + ": entry needs dtype, shape and data_offsets");
    TensorEntry t;
    t.name = name;
    if (!e["dtype"].is_string()) fail(ErrorCode::Safetensors, ctx + ": dtype is not a string");
    t.dtype = e["dtype"].get<std::string>();
    // Every dtype of the format is parsed (its byte length checked), whether or not libtorch can
    // compute with it: an unused F8_E4M3 or U32 tensor must not refuse the whole file.
    const size_t bits = dtype_bits(t.dtype);
    if (bits == 0)
      fail(ErrorCode::Safetensors, ctx + ": unknown dtype \"" + t.dtype +
                                       "\" (not a safetensors dtype: BOOL, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, I16, U16, "
                                       "F16, BF16, I32, U32, F32, C64, F64, I64, U64, F4, F6_E2M3, F6_E3M2)");
    if (!e["shape"].is_array()) fail(ErrorCode::Safetensors, ctx + ": shape is not an array");
    uint64_t numel = 1;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        fail(ErrorCode::Safetensors, ctx + ": shape holds a non-integer or negative dimension");
      int64_t v = d.get<int64_t>();
      t.shape.push_back(v);
      if (v != 0 && numel > (UINT64_MAX / static_cast<uint64_t>(v)))
        fail(ErrorCode::Safetensors, ctx + ": shape overflows");
      numel *= static_cast<uint64_t>(v);
    }
    const auto& off = e["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      fail(ErrorCode::Safetensors, ctx + ": data_offsets must be two non-negative integers");
    t.begin = off[0].get<uint64_t>();
    t.end = off[1].get<uint64_t>();
    if (t.begin > t.end) fail(ErrorCode::Safetensors, ctx + ": data_offsets begin > end");
    if (t.end > data_size_)
      fail(ErrorCode::Safetensors, ctx + ": data range [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                                       ") lies past the end of the data section (" + std::to_string(data_size_) +
                                       " bytes): the file is truncated");
    if (numel > UINT64_MAX / bits) fail(ErrorCode::Safetensors, ctx + ": shape overflows");
    if ((numel * bits) % 8 != 0)
      fail(ErrorCode::Safetensors, ctx + ": shape " + shape_str(t.shape) + " of " + t.dtype + " is not a whole number of bytes");
    const uint64_t need = numel * bits / 8;
    if (t.end - t.begin != need)
      fail(ErrorCode::Safetensors, ctx + ": shape " + shape_str(t.shape) + " of " + t.dtype + " needs " +
                                       std::to_string(need) + " bytes but data_offsets span " +
                                       std::to_string(t.end - t.begin));
    entries_.emplace(name, std::move(t));
  }
  // The tensors must tile the data section exactly, in offset order, as the reference reader
  // requires (safetensors' Metadata::validate: each begin equals the previous end, the last end is
  // the section's size). Overlaps would alias weights; a gap or a short tiling means the 8-byte
  // header length or an offset is wrong (a header length one byte short shifts every tensor by one
  // byte and still parses when the header ends in padding).
  std::vector<const TensorEntry*> by_offset;
  for (const auto& kv : entries_) by_offset.push_back(&kv.second);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  const TensorEntry* prev = nullptr;
  uint64_t covered = 0;
  for (const TensorEntry* t : by_offset) {
    if (t->begin < covered)
      fail(ErrorCode::Safetensors, path + ": tensors \"" + prev->name + "\" [" + std::to_string(prev->begin) + ", " +
                                       std::to_string(prev->end) + ") and \"" + t->name + "\" [" + std::to_string(t->begin) +
                                       ", " + std::to_string(t->end) + ") overlap in the data section");
    if (t->begin > covered)
      fail(ErrorCode::Safetensors, path + ": bytes [" + std::to_string(covered) + ", " + std::to_string(t->begin) +
                                       ") of the data section belong to no tensor (before \"" + t->name +
                                       "\"): the offsets or the 8-byte header length are wrong");
    covered = t->end;
    prev = t;
  }
  if (covered != data_size_)
    fail(ErrorCode::Safetensors, path + ": the tensors cover " + std::to_string(covered) + " bytes but the data section holds " +
                                     std::to_string(data_size_) + " (" + std::to_string(data_size_ - covered) +
                                     " trailing bytes): the 8-byte header length or the offsets are wrong");
}

SafetensorsFile::~SafetensorsFile() = default;

const TensorEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) fail(ErrorCode::Checkpoint, path_ + ": missing tensor \"" + name + "\"");
  return it->second;
}

torch::Tensor SafetensorsFile::view(const std::string& name) const {
  const TensorEntry& e = entry(name);
  if (!readable_dtype(e.dtype))
    fail(ErrorCode::Checkpoint, path_ + ": tensor \"" + name + "\" has dtype " + e.dtype +
                                    ", which this engine cannot read (supported: F32, F16, BF16, F64, I64, I32, I16, I8, "
                                    "U8, BOOL); dequantize or convert the checkpoint first (e.g. with transformers)");
  auto keep = mapping_;
  void* ptr = const_cast<uint8_t*>(data_ + e.begin);
  auto opts = torch::TensorOptions().dtype(dtype_from_safetensors(e.dtype, path_));
  return torch::from_blob(ptr, e.shape, [keep](void*) mutable { keep.reset(); }, opts);
}

void SafetensorsFile::release(const std::string& name, uint64_t begin, uint64_t end) const {
  const TensorEntry& e = entry(name);
  end = std::min(end, e.end - e.begin);
  if (begin >= end) return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = (reinterpret_cast<uintptr_t>(data_ + e.begin + begin) + page - 1) / page * page;
  const uintptr_t hi = reinterpret_cast<uintptr_t>(data_ + e.begin + end) / page * page;
  if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

void SafetensorsFile::release(const std::string& name) const {
  const TensorEntry& e = entry(name);
  if (e.begin == e.end) return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t base = reinterpret_cast<uintptr_t>(mapping_.get());
  uintptr_t lo = reinterpret_cast<uintptr_t>(data_ + e.begin) / page * page;
  uintptr_t hi = (reinterpret_cast<uintptr_t>(data_ + e.end) + page - 1) / page * page;
  lo = std::max(lo, base);
  hi = std::min(hi, (base + size_ + page - 1) / page * page);
  // Advice only: a failure leaves the pages resident, which costs memory but never correctness.
  if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) {
    json m = json::object();
    for (const auto& kv : metadata) m[kv.first] = kv.second;
    header["__metadata__"] = m;
  }
  std::vector<torch::Tensor> data;
  data.reserve(tensors.size());
  uint64_t offset = 0;
  for (const auto& kv : tensors) {
    check_cancel(("writing " + path).c_str());
    torch::Tensor t = kv.second.detach().to(torch::kCPU).contiguous();
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    json e;
    e["dtype"] = dtype_to_safetensors(t.scalar_type());
    e["shape"] = t.sizes().vec();
    e["data_offsets"] = {offset, offset + nbytes};
    if (header.contains(kv.first)) fail(ErrorCode::Argument, path + ": duplicate tensor name \"" + kv.first + "\"");
    header[kv.first] = e;
    offset += nbytes;
    data.push_back(t);
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8 != 0) h.push_back(' ');  // keep the data section 8-byte aligned
  uint8_t len[8];
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>((n >> (8 * i)) & 0xff);
  write_file_atomic(path, [&](FILE* f) {
    auto put = [&](const void* p, size_t k) { return k == 0 || std::fwrite(p, 1, k, f) == k; };
    if (!put(len, 8) || !put(h.data(), h.size())) return false;
    for (const auto& t : data) {
      check_cancel(("writing " + path).c_str());  // write_file_atomic then removes the temp file
      if (!put(t.data_ptr(), static_cast<size_t>(t.numel()) * t.element_size())) return false;
    }
    return true;
  });
}

namespace {
// fsync of the folder holding `path`: a rename is durable only once its directory is synced
// (POSIX), so without it a power loss can bring back the old file after we reported success.
void sync_parent_folder(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // a folder we may not open for reading: the rename is done, durability best effort
  ::fsync(fd);
  ::close(fd);
}
}  // namespace

void write_file_atomic(const std::string& path, const std::function<bool(FILE*)>& body) {
  // The temp name is the one src/util/atomic-write.ts cleans up after a killed writer (.tmp-<pid>).
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(ErrorCode::Checkpoint, tmp + ": cannot create: " + std::strerror(errno));
  bool ok = false;
  try {
    ok = body(f) && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  } catch (...) {  // the body stopped (an abort, cpp/cancel.h): no temp file is left behind
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  int e = errno;
  if (std::fclose(f) != 0 && ok) {  // a deferred write error (NFS, quota) surfaces at close
    ok = false;
    e = errno;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    fail(ErrorCode::Checkpoint, tmp + ": write failed: " + std::strerror(e));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    e = errno;
    std::remove(tmp.c_str());
    fail(ErrorCode::Checkpoint, path + ": rename failed: " + std::strerror(e));
  }
  sync_parent_folder(path);
}

void write_text_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, [&](FILE* f) { return text.empty() || std::fwrite(text.data(), 1, text.size(), f) == text.size(); });
}

}  // namespace eye
