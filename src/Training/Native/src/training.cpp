#include <ATen/autocast_mode.h>

#include "api.h"
#include "dataset.h"
#include "errors.h"
#include "graph_model.h"

namespace {
void check_same_device(const dn::GraphModel& model, const dn::Dataset& ds) {
  if (model.device != ds.device)
    throw std::invalid_argument("model is on " + model.device.str() + " but the dataset is on " + ds.device.str());
}

std::vector<torch::optim::Optimizer*> optimizers_of(void* const* opts, int32_t n) {
  if (n < 1) throw std::invalid_argument("at least one optimizer is needed");
  std::vector<torch::optim::Optimizer*> out;
  for (int32_t i = 0; i < n; ++i) out.push_back(static_cast<torch::optim::Optimizer*>(opts[i]));
  return out;
}

// The model's precision around its forward passes. Autocast is the calling thread's state, entered here and left as
// it was found, so runs in other slots are not touched. TF32 and cuDNN's autotuning are process-wide flags in
// libtorch: they are set before each step, so with two runs of different settings on one host's GPUs each step
// runs with its own run's (they would only race if two runs stepped at the very same moment).
class PrecisionScope {
 public:
  explicit PrecisionScope(const dn::Trainee& t) : cpu_(t.model->device.is_cpu()) {
    if (!cpu_) {
      auto& ctx = at::globalContext();
      ctx.setAllowTF32CuBLAS(t.precision == DN_PRECISION_TF32);
      ctx.setAllowTF32CuDNN(t.precision == DN_PRECISION_TF32);
      ctx.setBenchmarkCuDNN(t.cudnn_benchmark);
    }
    if (t.precision != DN_PRECISION_BF16) return;
    active_ = true;
    if (cpu_) {
      was_enabled_ = at::autocast::is_cpu_enabled();
      was_dtype_ = at::autocast::get_autocast_cpu_dtype();
      at::autocast::set_cpu_enabled(true);
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    } else {
      was_enabled_ = at::autocast::is_enabled();
      was_dtype_ = at::autocast::get_autocast_gpu_dtype();
      at::autocast::set_enabled(true);
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    }
    at::autocast::increment_nesting();
  }
  ~PrecisionScope() {
    if (!active_) return;
    // Casts of the weights are cached while autocast is on; the cache goes with the outermost scope.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    if (cpu_) {
      at::autocast::set_cpu_enabled(was_enabled_);
      at::autocast::set_autocast_cpu_dtype(was_dtype_);
    } else {
      at::autocast::set_enabled(was_enabled_);
      at::autocast::set_autocast_gpu_dtype(was_dtype_);
    }
  }
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;

 private:
  bool cpu_, active_ = false, was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

torch::Tensor cross_entropy_sum(const torch::Tensor& logits, const torch::Tensor& y) {
  return torch::nn::functional::cross_entropy(
      logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
}
}  // namespace

DN_EXPORT int dn_train_step(void* model_handle, void* const* opt_handles, int32_t n_opts, void* ds_handle,
                            int64_t start, int64_t count) {
  return dn::guarded("train_step", [&] {
    auto& t = dn::trainee_of(model_handle);
    auto& model = *t.model;
    auto opts = optimizers_of(opt_handles, n_opts);
    auto& ds = *static_cast<dn::Dataset*>(ds_handle);
    check_same_device(model, ds);
    int64_t n = ds.order.size(0);
    if (start < 0 || count <= 0 || start + count > n)
      throw std::out_of_range("batch [" + std::to_string(start) + ", " + std::to_string(start + count) +
                              ") is outside the dataset of " + std::to_string(n));
    auto idx = ds.order.narrow(0, start, count);
    auto x = ds.batch_x(idx, /*augment=*/true, model.generator);
    auto y = ds.y.index_select(0, idx);
    for (auto* opt : opts) opt->zero_grad();

    // Data parallel: each device takes a contiguous share of the batch; the batch's mean loss is the sum of
    // the shares' loss sums over the whole count, so the summed gradients equal the single-device gradient.
    const int64_t parts = 1 + static_cast<int64_t>(t.replicas.size());
    const int64_t share = (count + parts - 1) / parts;
    torch::Tensor loss_sum_all, correct_all;
    for (int64_t r = 0; r < parts; ++r) {
      int64_t from = r * share, len = std::min(share, count - from);
      if (len <= 0) break;
      auto& net = r == 0 ? model : *t.replicas[r - 1];
      net.train();
      auto xr = x.narrow(0, from, len).to(net.device, true);
      auto yr = y.narrow(0, from, len).to(net.device, true);
      torch::Tensor logits, part_sum;
      {
        PrecisionScope precision(t);
        logits = net.forward(xr);
        part_sum = cross_entropy_sum(logits, yr);  // autocast computes the loss in fp32
      }
      (part_sum / static_cast<double>(count)).backward();
      auto hits = logits.detach().argmax(1).eq(yr).sum().to(model.device);
      auto ls = part_sum.detach().to(model.device);
      loss_sum_all = loss_sum_all.defined() ? loss_sum_all + ls : ls;
      correct_all = correct_all.defined() ? correct_all + hits : hits;
    }
    auto loss = loss_sum_all / static_cast<double>(count);
    if (t.minima.defined() && t.factor != 0) {  // factor 0: minima kept only to report the distance
      auto reg = t.distance_term();
      reg.backward();
      loss = loss + reg.detach();
    }
    if (!t.replicas.empty()) {
      torch::NoGradGuard no_grad;
      auto params = model.parameters();
      for (auto& rep : t.replicas) {
        auto rp = rep->parameters();
        for (size_t i = 0; i < params.size(); ++i)
          if (rp[i].grad().defined()) {
            if (params[i].grad().defined()) params[i].mutable_grad().add_(rp[i].grad().to(model.device));
            else params[i].mutable_grad() = rp[i].grad().to(model.device);
          }
        rep->zero_grad();
      }
    }
    for (auto* opt : opts) opt->step();
    t.sync_replicas();

    // No .item() here: the statistics stay on the device until dn_read_stats.
    t.global_step += 1;
    t.loss_sum += loss.to(torch::kFloat64);
    t.last_loss.copy_(loss);
    t.correct += correct_all;
    auto bad = loss.isfinite().logical_not().logical_and(t.first_nonfinite.lt(0));
    t.first_nonfinite.masked_fill_(bad, t.global_step);
    t.samples += count;
    t.steps += 1;
  });
}

DN_EXPORT int dn_read_stats(void* model_handle, dn_step_stats* out) {
  return dn::guarded("read_stats", [&] {
    auto& t = dn::trainee_of(model_handle);
    if (t.model->device.is_cpu()) {
      // On the CPU the values are read in place: no tensor op, nothing allocated per read.
      out->loss_sum = *t.loss_sum.data_ptr<double>();
      out->correct = *t.correct.data_ptr<int64_t>();
      out->first_nonfinite_step = *t.first_nonfinite.data_ptr<int64_t>();
      out->last_loss = *t.last_loss.data_ptr<float>();
    } else {
      // One copy to the host for all four values: one synchronisation, not four. Counts stay exact in float64
      // up to 2^53.
      auto packed = torch::stack({t.loss_sum, t.correct.to(torch::kFloat64), t.first_nonfinite.to(torch::kFloat64),
                                  t.last_loss.to(torch::kFloat64)})
                        .to(torch::kCPU);
      auto v = packed.accessor<double, 1>();
      out->loss_sum = v[0];
      out->correct = static_cast<int64_t>(v[1]);
      out->first_nonfinite_step = static_cast<int64_t>(v[2]);
      out->last_loss = v[3];
    }
    out->samples = t.samples;
    out->steps = t.steps;
    t.reset_stats();
  });
}

DN_EXPORT int dn_evaluate(void* model_handle, void* ds_handle, int64_t batch_size, double* loss_sum, int64_t* correct,
                          float* scores, int64_t scores_capacity) {
  return dn::guarded("evaluate", [&] {
    auto& trainee = dn::trainee_of(model_handle);
    auto& model = *trainee.model;
    auto& ds = *static_cast<dn::Dataset*>(ds_handle);
    check_same_device(model, ds);
    if (batch_size <= 0) throw std::invalid_argument("batch size must be positive");
    torch::NoGradGuard no_grad;
    model.eval();
    auto opts = torch::TensorOptions().device(model.device);
    auto total = torch::zeros({}, opts.dtype(torch::kFloat64));
    auto hits = torch::zeros({}, opts.dtype(torch::kInt64));
    std::vector<torch::Tensor> probs;
    int64_t n = ds.x.size(0);
    for (int64_t start = 0; start < n; start += batch_size) {
      int64_t count = std::min(batch_size, n - start);
      auto x = ds.x.narrow(0, start, count);
      auto y = ds.y.narrow(0, start, count);
      torch::Tensor logits;
      {
        PrecisionScope precision(trainee);
        logits = model.forward(x);
      }
      logits = logits.to(torch::kFloat32);  // bf16 logits scored in fp32, as in training
      total += cross_entropy_sum(logits, y).to(torch::kFloat64);
      hits += logits.argmax(1).eq(y).sum();
      if (scores) probs.push_back(torch::softmax(logits, 1));
    }
    *loss_sum = total.item<double>();
    *correct = hits.item<int64_t>();
    if (scores) {
      auto all = torch::cat(probs).to(torch::kCPU, torch::kFloat32).contiguous();
      if (all.numel() > scores_capacity)
        throw std::invalid_argument("score buffer holds " + std::to_string(scores_capacity) + " values but " +
                                    std::to_string(all.numel()) + " are needed");
      std::memcpy(scores, all.data_ptr<float>(), sizeof(float) * all.numel());
    }
  });
}
