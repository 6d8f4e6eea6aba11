#include "api.h"
#include "errors.h"
#include "graph_model.h"

namespace {
void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}
}  // namespace

DN_EXPORT int dn_optimizer_create(void* model_handle, const int32_t* node_indices, int32_t n_indices, int32_t kind,
                                  double lr, double momentum, double weight_decay, double beta1, double beta2,
                                  double eps, void** out) {
  return dn::guarded("optimizer_create", [&] {
    auto& model = *dn::trainee_of(model_handle).model;
    auto params = model.node_parameters(node_indices, n_indices);
    if (params.empty()) throw std::invalid_argument("the parameter group holds no parameters");
    std::unique_ptr<torch::optim::Optimizer> opt;
    switch (kind) {
      case DN_SGD:
        opt = std::make_unique<torch::optim::SGD>(
            params, torch::optim::SGDOptions(lr).momentum(momentum).weight_decay(weight_decay));
        break;
      case DN_ADAM:
        opt = std::make_unique<torch::optim::Adam>(
            params, torch::optim::AdamOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(weight_decay));
        break;
      case DN_ADAMW:
        opt = std::make_unique<torch::optim::AdamW>(
            params, torch::optim::AdamWOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(weight_decay));
        break;
      default:
        throw std::invalid_argument("unknown optimizer kind " + std::to_string(kind));
    }
    *out = opt.release();
  });
}

DN_EXPORT int dn_optimizer_set_lr(void* opt, double lr) {
  return dn::guarded("optimizer_set_lr", [&] { set_lr(*static_cast<torch::optim::Optimizer*>(opt), lr); });
}

DN_EXPORT void dn_optimizer_free(void* opt) { delete static_cast<torch::optim::Optimizer*>(opt); }
