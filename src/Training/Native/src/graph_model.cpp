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
    case DN_RELU6: return torch::clamp(x, 0, 6);
  }
  throw std::invalid_argument("unknown activation " + std::to_string(kind));
}
}  // namespace

dn::GraphModel::GraphModel(const dn_node* src, int32_t n_nodes) : nodes(src, src + n_nodes) {
  if (n_nodes < 2) throw std::invalid_argument("a model needs an input node and at least one layer");
  if (nodes[0].op != DN_INPUT) throw std::invalid_argument("node 0 must be the input");
  modules.resize(nodes.size());
  node_modules.resize(nodes.size());
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
        if (!(n.fattrs[0] >= 0 && n.fattrs[0] < 1)) throw std::invalid_argument("dropout must be in [0, 1)");
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
    if (!modules[i].is_empty()) node_modules[i] = named_children()[node_name(i)];
  }
  last_use.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) last_use[i] = static_cast<int32_t>(i);
  for (size_t i = 1; i < nodes.size(); ++i)
    for (int k = 0; k < nodes[i].n_inputs; ++k) last_use[nodes[i].inputs[k]] = static_cast<int32_t>(i);
}

std::vector<torch::Tensor> dn::GraphModel::node_parameters(const int32_t* node_indices, int32_t n) const {
  std::vector<torch::Tensor> params;
  for (int32_t k = 0; k < n; ++k) {
    auto i = node_indices[k];
    if (i < 0 || static_cast<size_t>(i) >= nodes.size())
      throw std::out_of_range("parameter group names node " + std::to_string(i) + " of " +
                              std::to_string(nodes.size()));
    if (!node_modules[i]) continue;
    for (const auto& p : node_modules[i]->parameters()) params.push_back(p);
  }
  return params;
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
      case DN_BATCH_NORM: out[i] = modules[i].forward(x); break;
      case DN_DROPOUT: {
        // Drawn from the run's own generator (not the process-wide one), so concurrent runs stay reproducible.
        double p = n.fattrs[0];
        if (!is_training() || p == 0) {
          out[i] = x;
        } else {
          auto keep = torch::empty_like(x).bernoulli_(1 - p, generator);
          out[i] = x * keep / (1 - p);
        }
        break;
      }
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
    // Drop each activation once its last reader has run: evaluation of deep nets then holds a few layers at a
    // time, not all of them (autograd still keeps what backward needs).
    for (int k = 0; k < n.n_inputs; ++k)
      if (last_use[n.inputs[k]] == static_cast<int32_t>(i)) out[n.inputs[k]] = torch::Tensor();
  }
  return out.back();
}

void dn::Trainee::reset_stats() {
  // Allocated once and then zeroed in place: small tensors reallocated at every read would sit between the large
  // step buffers in the heap and make it creep up over a long run.
  if (!loss_sum.defined() || loss_sum.device() != model->device) {
    auto opts = torch::TensorOptions().device(model->device);
    loss_sum = torch::zeros({}, opts.dtype(torch::kFloat64));
    last_loss = torch::zeros({}, opts.dtype(torch::kFloat32));
    correct = torch::zeros({}, opts.dtype(torch::kInt64));
    first_nonfinite = torch::full({}, -1, opts.dtype(torch::kInt64));
  } else {
    loss_sum.zero_();
    last_loss.zero_();
    correct.zero_();
    first_nonfinite.fill_(-1);
  }
  samples = 0;
  steps = 0;
}

torch::Tensor dn::Trainee::flat_parameters() const {
  std::vector<torch::Tensor> parts;
  for (const auto& p : model->parameters()) parts.push_back(p.view(-1));
  return torch::cat(parts);
}

int64_t dn::Trainee::parameter_count() const {
  int64_t total = 0;
  for (const auto& p : model->parameters()) total += p.numel();
  return total;
}

torch::Tensor dn::Trainee::distances() const { return (flat_parameters().unsqueeze(0) - minima).norm(2, 1); }

torch::Tensor dn::Trainee::distance_term() const {
  auto d = distances();
  auto k = kernel == DN_KERNEL_TANH ? 1 - torch::tanh(d / width) : torch::exp(-d.pow(2) / (2 * width * width));
  return factor * k.sum();
}

namespace {
// A CPU model owns its generator. CUDA kernels need a CUDA generator, and this shim is built without CUDA headers,
// so a model on a GPU draws from that device's default generator, seeded here (one run per GPU keeps it theirs).
void seed_draws(dn::GraphModel& net, uint64_t seed) {
  if (net.device.is_cpu()) {
    if (!net.generator.has_value()) net.generator = at::detail::createCPUGenerator(seed);
    std::lock_guard<std::mutex> lock(net.generator->mutex());
    net.generator->set_current_seed(seed);
  } else {
    auto gen = at::globalContext().defaultGenerator(net.device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  }
}
}  // namespace

void dn::Trainee::reseed(uint64_t seed) {
  seed_draws(*model, seed);
  for (size_t i = 0; i < replicas.size(); ++i) {
    auto& r = *replicas[i];
    if (!r.device.is_cpu() && r.device == model->device) continue;  // that device's generator is seeded already
    // splitmix64 of (seed, replica): no replica's stream equals the main model's in another epoch.
    uint64_t z = seed ^ (0xD1B54A32D192ED03ULL * (i + 1));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    seed_draws(r, z ^ (z >> 31));
  }
}

DN_EXPORT int dn_model_reseed(void* handle, uint64_t seed) {
  return dn::guarded("model_reseed", [&] { dn::trainee_of(handle).reseed(seed); });
}

DN_EXPORT int dn_model_set_precision(void* handle, int32_t precision, int32_t cudnn_benchmark) {
  return dn::guarded("model_set_precision", [&] {
    auto& t = dn::trainee_of(handle);
    if (precision < DN_PRECISION_FP32 || precision > DN_PRECISION_BF16)
      throw std::invalid_argument("unknown precision " + std::to_string(precision));
    if (t.model->device.is_cpu() && (precision == DN_PRECISION_TF32 || cudnn_benchmark))
      throw std::invalid_argument("tf32 and cuDNN autotuning are CUDA settings; the model is on the CPU");
    t.precision = precision;
    t.cudnn_benchmark = cudnn_benchmark != 0;
  });
}

void dn::Trainee::sync_replicas() {
  if (replicas.empty()) return;
  torch::NoGradGuard no_grad;
  auto params = model->parameters();
  auto buffers = model->buffers();
  for (auto& r : replicas) {
    auto rp = r->parameters();
    auto rb = r->buffers();
    for (size_t i = 0; i < rp.size(); ++i) rp[i].copy_(params[i], /*non_blocking=*/true);
    for (size_t i = 0; i < rb.size(); ++i) rb[i].copy_(buffers[i], /*non_blocking=*/true);
  }
}

namespace {
// The default CPU generator initialises weights; runs created at the same time take turns.
std::mutex init_mutex;

std::vector<torch::Device> parse_devices(const char* devices) {
  std::vector<torch::Device> out;
  std::string list = devices ? devices : "cpu";
  size_t begin = 0;
  while (begin <= list.size()) {
    auto end = list.find(',', begin);
    if (end == std::string::npos) end = list.size();
    auto name = list.substr(begin, end - begin);
    out.push_back(dn::parse_device(name.c_str()));
    begin = end + 1;
  }
  return out;
}
}  // namespace

DN_EXPORT int dn_model_create(const dn_node* nodes, int32_t n_nodes, const char* devices, uint64_t seed,
                              void** out) {
  return dn::guarded("model_create", [&] {
    auto devs = parse_devices(devices);
    auto trainee = std::make_unique<dn::Trainee>();
    {
      std::lock_guard<std::mutex> lock(init_mutex);
      // Only the CPU generator: modules are built on the CPU, and torch::manual_seed would also reseed every CUDA
      // device's generator under the feet of runs training there.
      auto cpu = at::detail::getDefaultCPUGenerator();
      {
        // Released before the modules draw their weights: those draws take this same lock.
        std::lock_guard<std::mutex> gen_lock(cpu.mutex());
        cpu.set_current_seed(seed);
      }
      trainee->model = std::make_shared<dn::GraphModel>(nodes, n_nodes);
      for (size_t i = 1; i < devs.size(); ++i)
        trainee->replicas.push_back(std::make_shared<dn::GraphModel>(nodes, n_nodes));
    }
    trainee->model->to(devs[0]);
    trainee->model->device = devs[0];
    trainee->reseed(seed);
    for (size_t i = 1; i < devs.size(); ++i) {
      trainee->replicas[i - 1]->to(devs[i]);
      trainee->replicas[i - 1]->device = devs[i];
    }
    trainee->sync_replicas();
    trainee->reset_stats();
    *out = trainee.release();
  });
}

DN_EXPORT int dn_model_param_count(void* handle, int64_t* out) {
  return dn::guarded("model_param_count", [&] {
    *out = dn::trainee_of(handle).parameter_count();
  });
}

DN_EXPORT int dn_model_group_param_count(void* handle, const int32_t* node_indices, int32_t n, int64_t* out) {
  return dn::guarded("model_group_param_count", [&] {
    int64_t total = 0;
    for (const auto& p : dn::trainee_of(handle).model->node_parameters(node_indices, n)) total += p.numel();
    *out = total;
  });
}

DN_EXPORT int dn_model_copy_params(void* handle, float* out, int64_t capacity) {
  return dn::guarded("model_copy_params", [&] {
    torch::NoGradGuard no_grad;
    auto flat = dn::trainee_of(handle).flat_parameters().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    if (flat.numel() > capacity) throw std::invalid_argument("buffer too small for the parameters");
    std::memcpy(out, flat.data_ptr<float>(), sizeof(float) * flat.numel());
  });
}

DN_EXPORT int dn_model_set_distance(void* handle, const float* minima, int32_t n_minima, int64_t n_params,
                                    int32_t kernel, double factor, double width) {
  return dn::guarded("model_set_distance", [&] {
    auto& t = dn::trainee_of(handle);
    if (n_minima == 0) {
      t.minima = torch::Tensor();
      return;
    }
    int64_t expected = t.parameter_count();
    if (n_params != expected)
      throw std::invalid_argument("a stored minimum has " + std::to_string(n_params) + " parameters but the model has " +
                                  std::to_string(expected));
    if (kernel != DN_KERNEL_RBF && kernel != DN_KERNEL_TANH)
      throw std::invalid_argument("unknown kernel " + std::to_string(kernel));
    if (!(width > 0)) throw std::invalid_argument("kernel width must be positive");
    t.minima = torch::from_blob(const_cast<float*>(minima), {n_minima, n_params}, torch::kFloat32)
                   .to(t.model->device, false, true);
    t.kernel = kernel;
    t.factor = factor;
    t.width = width;
  });
}

DN_EXPORT int dn_model_distance(void* handle, double* out) {
  return dn::guarded("model_distance", [&] {
    auto& t = dn::trainee_of(handle);
    if (!t.minima.defined()) {
      *out = -1;
      return;
    }
    torch::NoGradGuard no_grad;
    *out = t.distances().min().item<double>();
  });
}

DN_EXPORT int dn_model_global_step(void* handle, int64_t* out) {
  return dn::guarded("model_global_step", [&] { *out = dn::trainee_of(handle).global_step; });
}

DN_EXPORT void dn_model_free(void* handle) { delete static_cast<dn::Trainee*>(handle); }
