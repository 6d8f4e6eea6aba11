#include "api.h"
#include "errors.h"
#include "graph_model.h"
#include <random>
#include <unistd.h>

// One file per checkpoint, torch's own archive format: the model's parameters and buffers, each optimizer's state
// (momentum buffers, Adam moments and step counts) under optimizer_<i>, and the step count the divergence check
// reports. The schedule position, epoch and seed live in the trainer's JSON beside it.

DN_EXPORT int dn_checkpoint_save(void* model_handle, void* const* opts, int32_t n_opts, const char* path) {
  return dn::guarded("checkpoint_save", [&] {
    auto& t = dn::trainee_of(model_handle);
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive weights;
    t.model->save(weights);
    archive.write("model", weights);
    for (int32_t i = 0; i < n_opts; ++i) {
      torch::serialize::OutputArchive state;
      static_cast<torch::optim::Optimizer*>(opts[i])->save(state);
      archive.write("optimizer_" + std::to_string(i), state);
    }
    archive.write("optimizer_count", torch::tensor(static_cast<int64_t>(n_opts)));
    archive.write("global_step", torch::tensor(t.global_step));
    // Written to a temporary name first, so a crash mid-write never leaves a truncated checkpoint behind.
    // Named for this process: a host taken for dead that wakes up may still write the same checkpoint for a moment,
    // and in containers sharing the data folder every worker may be process 1, hence the random part too.
    static const std::string tag = std::to_string(getpid()) + "-" + std::to_string(std::random_device{}());
    std::string tmp = std::string(path) + "." + tag + ".tmp";
    archive.save_to(tmp);
    if (std::rename(tmp.c_str(), path) != 0) throw std::runtime_error(std::string("cannot rename to ") + path);
  });
}

DN_EXPORT int dn_checkpoint_load(void* model_handle, void* const* opts, int32_t n_opts, const char* path) {
  return dn::guarded("checkpoint_load", [&] {
    auto& t = dn::trainee_of(model_handle);
    torch::serialize::InputArchive archive;
    archive.load_from(path, t.model->device);
    if (n_opts < 0) {  // weights only: a stored minimum taken from another run
      torch::serialize::InputArchive weights;
      archive.read("model", weights);
      t.model->load(weights);
      return;
    }
    torch::Tensor count;
    archive.read("optimizer_count", count);
    if (count.item<int64_t>() != n_opts)
      throw std::invalid_argument(std::string(path) + " holds " + std::to_string(count.item<int64_t>()) +
                                  " optimizers but the run has " + std::to_string(n_opts));
    torch::serialize::InputArchive weights;
    archive.read("model", weights);
    t.model->load(weights);
    for (int32_t i = 0; i < n_opts; ++i) {
      torch::serialize::InputArchive state;
      archive.read("optimizer_" + std::to_string(i), state);
      static_cast<torch::optim::Optimizer*>(opts[i])->load(state);
    }
    torch::Tensor step;
    archive.read("global_step", step);
    t.global_step = step.item<int64_t>();
    t.sync_replicas();
    t.reset_stats();
  });
}
