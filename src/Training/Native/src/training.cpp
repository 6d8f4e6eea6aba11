#include "api.h"
#include "dataset.h"
#include "errors.h"
#include "graph_model.h"

namespace {
dn::GraphModel& model_of(void* handle) { return **static_cast<std::shared_ptr<dn::GraphModel>*>(handle); }

void check_same_device(const dn::GraphModel& model, const dn::Dataset& ds) {
  if (model.device != ds.device)
    throw std::invalid_argument("model is on " + model.device.str() + " but the dataset is on " + ds.device.str());
}
}  // namespace

DN_EXPORT int dn_train_step(void* model_handle, void* opt_handle, void* ds_handle, int64_t start, int64_t count) {
  return dn::guarded("train_step", [&] {
    auto& model = model_of(model_handle);
    auto& opt = *static_cast<torch::optim::Optimizer*>(opt_handle);
    auto& ds = *static_cast<dn::Dataset*>(ds_handle);
    check_same_device(model, ds);
    int64_t n = ds.order.size(0);
    if (start < 0 || count <= 0 || start + count > n)
      throw std::out_of_range("batch [" + std::to_string(start) + ", " + std::to_string(start + count) +
                              ") is outside the dataset of " + std::to_string(n));
    model.train();
    auto idx = ds.order.narrow(0, start, count);
    auto x = ds.x.index_select(0, idx);
    auto y = ds.y.index_select(0, idx);
    opt.zero_grad();
    auto logits = model.forward(x);
    auto loss = torch::nn::functional::cross_entropy(logits, y);
    loss.backward();
    opt.step();

    // No .item() here: the statistics stay on the device until dn_read_stats.
    auto detached = loss.detach();
    model.global_step += 1;
    model.loss_sum += detached.to(torch::kFloat64);
    model.last_loss.copy_(detached);
    model.correct += logits.detach().argmax(1).eq(y).sum();
    auto bad = detached.isfinite().logical_not().logical_and(model.first_nonfinite.lt(0));
    model.first_nonfinite = torch::where(bad, torch::full({}, model.global_step, model.first_nonfinite.options()),
                                         model.first_nonfinite);
    model.samples += count;
    model.steps += 1;
  });
}

DN_EXPORT int dn_read_stats(void* model_handle, dn_step_stats* out) {
  return dn::guarded("read_stats", [&] {
    auto& model = model_of(model_handle);
    out->loss_sum = model.loss_sum.item<double>();
    out->correct = model.correct.item<int64_t>();
    out->first_nonfinite_step = model.first_nonfinite.item<int64_t>();
    out->last_loss = model.last_loss.item<double>();
    out->samples = model.samples;
    out->steps = model.steps;
    model.reset_stats();
  });
}

DN_EXPORT int dn_evaluate(void* model_handle, void* ds_handle, int64_t batch_size, double* loss_sum, int64_t* correct) {
  return dn::guarded("evaluate", [&] {
    auto& model = model_of(model_handle);
    auto& ds = *static_cast<dn::Dataset*>(ds_handle);
    check_same_device(model, ds);
    if (batch_size <= 0) throw std::invalid_argument("batch size must be positive");
    torch::NoGradGuard no_grad;
    model.eval();
    auto opts = torch::TensorOptions().device(model.device);
    auto total = torch::zeros({}, opts.dtype(torch::kFloat64));
    auto hits = torch::zeros({}, opts.dtype(torch::kInt64));
    int64_t n = ds.x.size(0);
    for (int64_t start = 0; start < n; start += batch_size) {
      int64_t count = std::min(batch_size, n - start);
      auto x = ds.x.narrow(0, start, count);
      auto y = ds.y.narrow(0, start, count);
      auto logits = model.forward(x);
      total += torch::nn::functional::cross_entropy(
                   logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                   .to(torch::kFloat64);
      hits += logits.argmax(1).eq(y).sum();
    }
    *loss_sum = total.item<double>();
    *correct = hits.item<int64_t>();
  });
}
