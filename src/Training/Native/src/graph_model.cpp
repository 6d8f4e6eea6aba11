#include "graph_model.h"
#include "errors.h"
#include <mutex>

namespace {
std::string node_name(size_t i) { return "n" + std::to_string(i); }

void check_inputs(const dn_node& n, size_t index, int32_t expected_min, int32_t expected_max) {
  if (n.n_inputs < expected_min || n.n_inputs > expected_max)
    throw std::invalid_argument("node " + std::to_string(index) + " has " + std::to_string(n.n_inputs) +
                                " inputs");
  for (int i = 0; i < n.n_inputs; ++i)
    if (n.inputs[i] < 0 || static_cast<size_t>(n.inputs[i]) >= index)
      throw std::invalid_argument("node " + std::to_string(index) + " reads node " + std::to_string(n.inputs[i]) +
                                  ", which does not come before it");
}

torch::Tensor activate(int64_t kind, const torch::Tensor& x) {
  switch (kind) {
    case DN_RELU: return torch::relu(x);
    case DN_TANH: return torch::tanh(x);
    case DN_SIGMOID: return torch::sigmoid(x);
    case DN_GELU: return torch::gelu(x);
    case DN_ELU: return torch::elu(x);
    case DN_LEAKY_RELU: return torch::leaky_relu(x, 0.01);
    case DN_IDENTITY: return x;
  }
  throw std::invalid_argument("unknown activation " + std::to_string(kind));
}
}  // namespace

dn::GraphModel::GraphModel(const dn_node* src, int32_t n_nodes) : nodes(src, src + n_nodes) {
  if (n_nodes < 2) throw std::invalid_argument("a model needs an input node and at least one layer");
  if (nodes[0].op != DN_INPUT) throw std::invalid_argument("node 0 must be the input");
  modules.resize(nodes.size());
  for (size_t i = 1; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    const auto* a = n.attrs;
    switch (n.op) {
      case DN_LINEAR:
        check_inputs(n, i, 1, 1);
        modules[i] = torch::nn::AnyModule(register_module(
            node_name(i), torch::nn::Linear(torch::nn::LinearOptions(a[0], a[1]).bias(a[2] != 0))));
        break;
      case DN_CONV2D:
        check_inputs(n, i, 1, 1);
        modules[i] = torch::nn::AnyModule(register_module(
            node_name(i), torch::nn::Conv2d(torch::nn::Conv2dOptions(a[0], a[1], a[2])
                                                .stride(a[3]).padding(a[4]).groups(a[5]).bias(a[6] != 0))));
        break;
      case DN_BATCH_NORM:
        check_inputs(n, i, 1, 1);
        if (a[1] == 2)
          modules[i] = torch::nn::AnyModule(register_module(node_name(i), torch::nn::BatchNorm2d(a[0])));
        else
          modules[i] = torch::nn::AnyModule(register_module(node_name(i), torch::nn::BatchNorm1d(a[0])));
        break;
      case DN_DROPOUT:
        check_inputs(n, i, 1, 1);
        modules[i] = torch::nn::AnyModule(register_module(node_name(i), torch::nn::Dropout(n.fattrs[0])));
        break;
      case DN_ACTIVATION:
      case DN_FLATTEN:
      case DN_MAX_POOL2D:
      case DN_GLOBAL_AVG_POOL:
        check_inputs(n, i, 1, 1);
        break;
      case DN_ADD:
      case DN_CONCAT:
        check_inputs(n, i, 2, 4);
        break;
      default:
        throw std::invalid_argument("node " + std::to_string(i) + " has unknown op " + std::to_string(n.op));
    }
  }
}

torch::Tensor dn::GraphModel::forward(const torch::Tensor& input) {
  std::vector<torch::Tensor> out(nodes.size());
  out[0] = input;
  for (size_t i = 1; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    const auto& x = out[n.inputs[0]];
    switch (n.op) {
      case DN_LINEAR:
      case DN_CONV2D:
      case DN_BATCH_NORM:
      case DN_DROPOUT: out[i] = modules[i].forward(x); break;
      case DN_ACTIVATION: out[i] = activate(n.attrs[0], x); break;
      case DN_FLATTEN: out[i] = x.flatten(1); break;
      case DN_MAX_POOL2D: out[i] = torch::max_pool2d(x, n.attrs[0], n.attrs[1], n.attrs[2]); break;
      case DN_GLOBAL_AVG_POOL: out[i] = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1); break;
      case DN_ADD: {
        auto sum = x;
        for (int k = 1; k < n.n_inputs; ++k) sum = sum + out[n.inputs[k]];
        out[i] = sum;
        break;
      }
      case DN_CONCAT: {
        std::vector<torch::Tensor> parts;
        for (int k = 0; k < n.n_inputs; ++k) parts.push_back(out[n.inputs[k]]);
        out[i] = torch::cat(parts, 1);
        break;
      }
    }
  }
  return out.back();
}

void dn::GraphModel::reset_stats() {
  auto opts = torch::TensorOptions().device(device);
  loss_sum = torch::zeros({}, opts.dtype(torch::kFloat64));
  last_loss = torch::zeros({}, opts.dtype(torch::kFloat32));
  correct = torch::zeros({}, opts.dtype(torch::kInt64));
  first_nonfinite = torch::full({}, -1, opts.dtype(torch::kInt64));
  samples = 0;
  steps = 0;
}

namespace {
// torch::manual_seed sets a process-wide generator; runs created at the same time take turns.
std::mutex init_mutex;
}

DN_EXPORT int dn_model_create(const dn_node* nodes, int32_t n_nodes, const char* device, uint64_t seed,
                              void** out) {
  return dn::guarded("model_create", [&] {
    auto dev = dn::parse_device(device);
    std::shared_ptr<dn::GraphModel> model;
    {
      std::lock_guard<std::mutex> lock(init_mutex);
      torch::manual_seed(seed);
      model = std::make_shared<dn::GraphModel>(nodes, n_nodes);
    }
    model->to(dev);
    model->device = dev;
    model->reset_stats();
    *out = new std::shared_ptr<dn::GraphModel>(std::move(model));
  });
}

DN_EXPORT int dn_model_param_count(void* handle, int64_t* out) {
  return dn::guarded("model_param_count", [&] {
    int64_t total = 0;
    for (const auto& p : (*static_cast<std::shared_ptr<dn::GraphModel>*>(handle))->parameters()) total += p.numel();
    *out = total;
  });
}

DN_EXPORT int dn_model_copy_params(void* handle, float* out, int64_t capacity) {
  return dn::guarded("model_copy_params", [&] {
    torch::NoGradGuard no_grad;
    int64_t offset = 0;
    for (const auto& p : (*static_cast<std::shared_ptr<dn::GraphModel>*>(handle))->parameters()) {
      if (offset + p.numel() > capacity) throw std::invalid_argument("buffer too small for the parameters");
      auto flat = p.detach().to(torch::kCPU, torch::kFloat32).contiguous().view(-1);
      std::memcpy(out + offset, flat.data_ptr<float>(), sizeof(float) * flat.numel());
      offset += p.numel();
    }
  });
}

DN_EXPORT void dn_model_free(void* handle) { delete static_cast<std::shared_ptr<dn::GraphModel>*>(handle); }
