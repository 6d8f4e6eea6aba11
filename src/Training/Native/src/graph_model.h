#pragma once
#include <torch/torch.h>
#include "api.h"

namespace dn {
// A model described by C# as a list of nodes, turned into torch modules and run in order.
struct GraphModel : torch::nn::Module {
  GraphModel(const dn_node* nodes, int32_t n_nodes);
  torch::Tensor forward(const torch::Tensor& input);

  std::vector<dn_node> nodes;
  std::vector<torch::nn::AnyModule> modules;  // empty for ops without parameters or state
  torch::Device device{torch::kCPU};

  // Step statistics, accumulated on the device and read back only when logged.
  torch::Tensor loss_sum, correct, first_nonfinite, last_loss;
  int64_t samples = 0, steps = 0, global_step = 0;
  void reset_stats();
};
}  // namespace dn
