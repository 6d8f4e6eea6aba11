#pragma once
#include <torch/torch.h>
#include "api.h"

namespace dn {
// A model described by C# as a list of nodes, turned into torch modules and run in order.
struct GraphModel : torch::nn::Module {
  GraphModel(const dn_node* nodes, int32_t n_nodes);
  torch::Tensor forward(const torch::Tensor& input);
  // Parameters of the listed nodes, in graph order.
  std::vector<torch::Tensor> node_parameters(const int32_t* node_indices, int32_t n) const;

  std::vector<dn_node> nodes;
  std::vector<torch::nn::AnyModule> modules;  // empty for ops without parameters or state
  std::vector<std::shared_ptr<torch::nn::Module>> node_modules;  // the same modules, for parameter lookup
  torch::Device device{torch::kCPU};
  std::vector<int32_t> last_use;  // the last node reading each node's output
  c10::optional<at::Generator> generator;  // dropout and augmentation draws; none means the device's default
};

// What a run trains: the model on its first device, replicas on the others, the distance term and the
// step statistics, which are accumulated on the device and read back only when logged.
struct Trainee {
  std::shared_ptr<GraphModel> model;
  std::vector<std::shared_ptr<GraphModel>> replicas;

  torch::Tensor minima;  // [n_minima, n_params] on the device; undefined when there is no distance term
  int32_t kernel = DN_KERNEL_RBF;
  double factor = 0, width = 1;

  int32_t precision = DN_PRECISION_FP32;
  bool cudnn_benchmark = false;

  torch::Tensor loss_sum, correct, first_nonfinite, last_loss;
  int64_t samples = 0, steps = 0, global_step = 0;
  void reset_stats();

  int64_t parameter_count() const;
  torch::Tensor flat_parameters() const;
  // Euclidean distance from the parameters to each stored minimum, [n_minima].
  torch::Tensor distances() const;
  // factor * sum_i kernel(||theta - theta_i||), differentiable in theta.
  torch::Tensor distance_term() const;
  // After the optimizers stepped: the replicas take the updated weights and batch-norm statistics.
  void sync_replicas();
  // Seeds the run's random draws (dropout, augmentation); the trainer calls it at each epoch start.
  void reseed(uint64_t seed);
};

inline Trainee& trainee_of(void* handle) { return *static_cast<Trainee*>(handle); }
}  // namespace dn
