#include "distributed.h"

#include <torch/version.h>

#include <chrono>
#include <cstdlib>
#include <map>

#include "errors.h"

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace eye {

namespace {

// libtorch 2.0 split the process group into a front (ProcessGroup) and backends (Backend);
// ProcessGroupGloo/NCCL derive from Backend there and from ProcessGroup in 1.x. Both bases have the
// collectives used here with the same signatures.
#ifdef USE_C10D_GLOO
#if TORCH_VERSION_MAJOR >= 2
using C10dBackend = c10d::Backend;
#else
using C10dBackend = c10d::ProcessGroup;
#endif
#endif

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

}  // namespace

bool distributed_available() {
#ifdef USE_C10D_GLOO
  return true;
#else
  return false;
#endif
}

std::vector<std::string> distributed_backends() {
  std::vector<std::string> b;
#ifdef USE_C10D_GLOO
  b.push_back("gloo");
#endif
#ifdef USE_C10D_NCCL
  b.push_back("nccl");
#endif
  return b;
}

void validate_distributed_options(const DistributedOptions& o) {
  if (o.world_size < 1) fail(ErrorCode::Argument, "distributed worldSize (WORLD_SIZE) must be at least 1, got " + std::to_string(o.world_size));
  if (o.rank < 0 || o.rank >= o.world_size)
    fail(ErrorCode::Argument, "distributed rank (RANK) must be in 0…" + std::to_string(o.world_size - 1) + ", got " + std::to_string(o.rank));
  if (o.master_port < 1 || o.master_port > 65535)
    fail(ErrorCode::Argument, "distributed masterPort (MASTER_PORT) must be in 1…65535, got " + std::to_string(o.master_port));
  if (o.master_addr.empty()) fail(ErrorCode::Argument, "distributed masterAddr (MASTER_ADDR) is empty");
  if (!(o.timeout_s > 0)) fail(ErrorCode::Argument, "distributed timeout must be positive (seconds)");
  if (!(o.rendezvous_timeout_s >= 0)) fail(ErrorCode::Argument, "distributed rendezvous timeout must be non-negative (seconds; 0 = the timeout)");
  if (o.backend != "auto" && o.backend != "gloo" && o.backend != "nccl")
    fail(ErrorCode::Argument, "distributed backend must be auto, gloo or nccl, got \"" + o.backend + "\"");
  if (o.bucket_bytes < 1024) fail(ErrorCode::Argument, "distributed bucketBytes must be at least 1024");
}

#ifdef USE_C10D_GLOO

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<C10dBackend> pg;
  std::string backend;
};

ProcessGroup::ProcessGroup(const DistributedOptions& opts, torch::Device device) : opts_(opts) {
  validate_distributed_options(opts_);
  impl_ = std::make_unique<Impl>();
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(opts_.timeout_s * 1000));
  const auto rdzv_timeout = opts_.rendezvous_timeout_s > 0 ? std::chrono::milliseconds(static_cast<int64_t>(opts_.rendezvous_timeout_s * 1000)) : timeout;
  std::string backend = opts_.backend;
  if (backend == "auto") {
#ifdef USE_C10D_NCCL
    backend = device.is_cuda() ? "nccl" : "gloo";
#else
    backend = "gloo";
#endif
  }
  if (backend == "nccl") {
#ifndef USE_C10D_NCCL
    fail(ErrorCode::Distributed, "this eyemulator build has no NCCL backend (rebuild against a CUDA libtorch with nccl.h "
                                 "installed, or use backend gloo)");
#endif
    if (!device.is_cuda()) fail(ErrorCode::Argument, "the NCCL backend needs a CUDA device (use gloo on CPU)");
  }
  const std::string who = "rank " + std::to_string(opts_.rank) + " of " + std::to_string(opts_.world_size);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(opts_.master_port);
    // Under torchrun the elastic agent already serves the TCPStore on MASTER_PORT and says so in
    // TORCHELASTIC_USE_AGENT_STORE: every rank is then a client (as torch.distributed does).
    const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    const bool agent_store = agent && std::string(agent) == "True";
    so.isServer = opts_.rank == 0 && !agent_store;
    so.numWorkers = static_cast<std::size_t>(opts_.world_size);
    so.waitWorkers = true;
    so.timeout = rdzv_timeout;  // the store's waits: ranks joining and exchanging their addresses
    impl_->store = c10::make_intrusive<c10d::TCPStore>(opts_.master_addr, so);
    if (agent_store) {
      // The agent's store outlives worker restarts: keys per attempt, as torch.distributed's env://.
      const char* attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
      impl_->store = c10::make_intrusive<c10d::PrefixStore>(std::string("/worker/attempt_") + (attempt ? attempt : "0"), impl_->store);
    }
  } catch (const std::exception& e) {
    fail(ErrorCode::Distributed, who + ": rendezvous at " + opts_.master_addr + ":" + std::to_string(opts_.master_port) +
                                     " failed (" + e.what() + "); check MASTER_ADDR/MASTER_PORT, that the port is free on rank 0, "
                                     "and that all " + std::to_string(opts_.world_size) + " ranks start within the timeout");
  }
  try {
    if (backend == "gloo") {
      auto o = c10d::ProcessGroupGloo::Options::create(timeout);
      // The interface: GLOO_SOCKET_IFNAME as in PyTorch; a loopback master means a single-host
      // job (bind to 127.0.0.1, whatever the host name resolves to); else the host name's address.
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname && *ifname) o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (is_loopback(opts_.master_addr)) o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      o->threads = 1;  // one bucket at a time: a second worker thread would only compete for the cores
      impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, opts_.rank, opts_.world_size, o);
    } else {
#ifdef USE_C10D_NCCL
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = timeout;
      impl_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, opts_.rank, opts_.world_size, o);
#endif
    }
  } catch (const EngineError&) {
    throw;
  } catch (const std::exception& e) {
    fail(ErrorCode::Distributed, who + ": creating the " + backend + " process group failed (" + e.what() + ")");
  }
  impl_->backend = backend;
}

ProcessGroup::~ProcessGroup() = default;

std::string ProcessGroup::backend() const { return impl_->backend; }

void ProcessGroup::raise(const std::string& what, const std::exception& e) const {
  std::string msg = e.what();
  // c10::Error appends a C++ backtrace after the first line: keep the message only.
  const auto nl = msg.find("\nException raised from");
  if (nl != std::string::npos) msg = msg.substr(0, nl);
  fail(ErrorCode::Distributed, "rank " + std::to_string(opts_.rank) + " of " + std::to_string(opts_.world_size) + ": all-ranks " +
                                   what + " failed: " + msg +
                                   " (another rank died, raised an error or exceeded the " + std::to_string(static_cast<int64_t>(opts_.timeout_s)) +
                                   " s timeout)");
}

namespace {
struct Timer {
  double& acc;
  int64_t& n;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  Timer(double& a, int64_t& c) : acc(a), n(c) {}
  ~Timer() {
    acc += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++n;
  }
};
}  // namespace

void ProcessGroup::allreduce_sum(torch::Tensor& t, const std::string& what) {
  Timer tm(comm_s_, collectives_);
  try {
    std::vector<at::Tensor> v{t};
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    auto work = impl_->pg->allreduce(v, o);
    work->wait();
  } catch (const std::exception& e) {
    raise(what, e);
  }
}

namespace {

// Groups tensors (same device) into runs of one dtype of at most `cap` bytes, preserving order.
std::vector<std::vector<size_t>> buckets_of(const std::vector<torch::Tensor>& ts, int64_t cap) {
  std::map<c10::ScalarType, std::vector<std::vector<size_t>>> by;
  std::map<c10::ScalarType, int64_t> fill;
  std::vector<std::vector<size_t>> order;
  std::vector<std::pair<c10::ScalarType, size_t>> seq;  // (dtype, bucket index within dtype)
  for (size_t i = 0; i < ts.size(); ++i) {
    const auto dt = ts[i].scalar_type();
    const int64_t bytes = ts[i].numel() * static_cast<int64_t>(ts[i].element_size());
    auto& bs = by[dt];
    if (bs.empty() || fill[dt] + bytes > cap) {
      bs.emplace_back();
      fill[dt] = 0;
      seq.emplace_back(dt, bs.size() - 1);
    }
    bs.back().push_back(i);
    fill[dt] += bytes;
  }
  for (auto& s : seq) order.push_back(by[s.first][s.second]);
  return order;
}

}  // namespace

void ProcessGroup::allreduce_sum_bucketed(const std::vector<torch::Tensor>& ts, const std::string& what) {
  torch::NoGradGuard ng;
  for (const auto& idx : buckets_of(ts, opts_.bucket_bytes)) {
    std::vector<torch::Tensor> parts;
    for (size_t i : idx) parts.push_back(ts[i].reshape({-1}));
    torch::Tensor flat = parts.size() == 1 && ts[idx[0]].is_contiguous() ? parts[0] : torch::cat(parts);
    allreduce_sum(flat, what);
    if (parts.size() == 1 && flat.data_ptr() == ts[idx[0]].data_ptr()) continue;  // reduced in place
    int64_t off = 0;
    for (size_t i : idx) {
      const int64_t n = ts[i].numel();
      ts[i].copy_(flat.narrow(0, off, n).view(ts[i].sizes()));
      off += n;
    }
  }
}

void ProcessGroup::broadcast(const std::vector<torch::Tensor>& ts, int root, const std::string& what) {
  torch::NoGradGuard ng;
  for (const auto& idx : buckets_of(ts, opts_.bucket_bytes)) {
    std::vector<torch::Tensor> parts;
    for (size_t i : idx) parts.push_back(ts[i].reshape({-1}));
    torch::Tensor flat = torch::cat(parts);
    {
      Timer tm(comm_s_, collectives_);
      try {
        std::vector<at::Tensor> v{flat};
        c10d::BroadcastOptions o;
        o.rootRank = root;
        o.rootTensor = 0;
        impl_->pg->broadcast(v, o)->wait();
      } catch (const std::exception& e) {
        raise(what, e);
      }
    }
    int64_t off = 0;
    for (size_t i : idx) {
      const int64_t n = ts[i].numel();
      ts[i].copy_(flat.narrow(0, off, n).view(ts[i].sizes()));
      off += n;
    }
  }
}

void ProcessGroup::barrier(const std::string& what) {
  Timer tm(comm_s_, collectives_);
  try {
    impl_->pg->barrier()->wait();
  } catch (const std::exception& e) {
    raise(what, e);
  }
}

#else  // no c10d/Gloo in this build

struct ProcessGroup::Impl {};

namespace {
[[noreturn]] void unavailable() {
  fail(ErrorCode::Distributed,
       "this eyemulator build has no distributed training (c10d/Gloo): install the gloo headers (Debian/Ubuntu: "
       "apt-get install libgloo-dev, or set GLOO_INCLUDE_DIR) and rebuild the addon (npm run build:native)");
}
}  // namespace

ProcessGroup::ProcessGroup(const DistributedOptions& opts, torch::Device) : opts_(opts) {
  validate_distributed_options(opts_);
  unavailable();
}
ProcessGroup::~ProcessGroup() = default;
std::string ProcessGroup::backend() const { return ""; }
void ProcessGroup::raise(const std::string&, const std::exception&) const { unavailable(); }
void ProcessGroup::allreduce_sum(torch::Tensor&, const std::string&) { unavailable(); }
void ProcessGroup::allreduce_sum_bucketed(const std::vector<torch::Tensor>&, const std::string&) { unavailable(); }
void ProcessGroup::broadcast(const std::vector<torch::Tensor>&, int, const std::string&) { unavailable(); }
void ProcessGroup::barrier(const std::string&) { unavailable(); }

#endif

}  // namespace eye
