// Data-parallel training over libtorch's own collectives (c10d): a TCPStore rendezvous, then a
// Gloo process group on CPU or an NCCL one on CUDA, exactly what torchrun + PyTorch DDP use. The
// trainer (cpp/trainer.h) holds one and calls it at three points of a step: the global loss
// denominators before backward, the reported scalars after it, and the gradients of the trainable
// tensors (flattened into buckets) after the whole backward pass, so that W processes × batch B
// give the same update as one process × batch W·B.
//
// Every collective has a timeout; a failure (a peer that died, a timeout, a closed connection)
// throws EngineError(ErrorCode::Distributed) naming this rank, the collective and, when c10d/Gloo
// says it, the peer's address. Nothing here aborts the process.
//
// Builds without gloo headers (see CMakeLists.txt) keep this interface: distributed_available()
// is false and constructing a ProcessGroup throws a Distributed error that says what to install.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace eye {

struct DistributedOptions {
  int rank = 0;            // RANK: this process, 0 … world_size−1
  int world_size = 1;      // WORLD_SIZE
  std::string master_addr = "127.0.0.1";  // MASTER_ADDR: the host running rank 0's TCPStore
  int master_port = 29500;                // MASTER_PORT
  double timeout_s = 300;  // every collective (and the rendezvous unless set below); a dead or stuck peer fails within it
  double rendezvous_timeout_s = 0;  // waiting for all ranks to join (0 = timeout_s): processes may start far apart
  // "auto" (NCCL for CUDA tensors when built with it, else Gloo), "gloo" or "nccl".
  std::string backend = "auto";
  // Gradient bucket size (bytes of one flattened all-reduce; PyTorch DDP's default is 25 MiB).
  int64_t bucket_bytes = 25 * 1024 * 1024;
};

// Whether this build has c10d with Gloo (and NCCL), and which backends it can use.
bool distributed_available();
std::vector<std::string> distributed_backends();

// Checks ranges (rank < world size, port 1…65535, timeout > 0, backend name) and throws an
// Argument error naming the field.
void validate_distributed_options(const DistributedOptions& o);

class ProcessGroup {
 public:
  // Rendezvous: rank 0 serves the TCPStore at master_addr:master_port, every rank connects and
  // waits (up to the timeout) for all world_size ranks. `device` picks the backend ("auto").
  ProcessGroup(const DistributedOptions& opts, torch::Device device);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return opts_.rank; }
  int world_size() const { return opts_.world_size; }
  const DistributedOptions& options() const { return opts_; }
  std::string backend() const;

  // In-place sum over all ranks of contiguous tensors of one dtype and device; `what` names the
  // collective in errors ("gradients", "loss denominators", …).
  void allreduce_sum(torch::Tensor& t, const std::string& what);
  // Sums a list of tensors in flattened buckets of at most bucket_bytes per dtype (one collective
  // per bucket): the layout DDP uses, without its autograd hooks.
  void allreduce_sum_bucketed(const std::vector<torch::Tensor>& ts, const std::string& what);
  // In-place copy of rank `root`'s values to every rank (tensors of any dtypes, bucketed).
  void broadcast(const std::vector<torch::Tensor>& ts, int root, const std::string& what);
  void barrier(const std::string& what);

  // Wall time spent inside collectives since construction (seconds) and how many were run.
  double comm_seconds() const { return comm_s_; }
  int64_t collectives() const { return collectives_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  DistributedOptions opts_;
  double comm_s_ = 0;
  int64_t collectives_ = 0;
  [[noreturn]] void raise(const std::string& what, const std::exception& e) const;
};

}  // namespace eye
