// The C ABI of the shim. Coarse on purpose: long-lived handles only, one call per training step.
// Every function returns 0 on success and -1 on failure; dn_last_error() then holds the message.
#pragma once
#include <cstdint>

#define DN_EXPORT extern "C" __attribute__((visibility("default")))

// One node of a model graph built in C#. Inputs name earlier nodes by index; node 0 is the input.
struct dn_node {
  int32_t op;
  int32_t n_inputs;
  int32_t inputs[4];
  int64_t attrs[8];
  double fattrs[2];
};

enum dn_op : int32_t {
  DN_INPUT = 0,
  DN_LINEAR = 1,      // attrs: in, out, bias
  DN_ACTIVATION = 2,  // attrs: kind (dn_activation)
  DN_FLATTEN = 3,
  DN_ADD = 4,
  DN_CONCAT = 5,      // along dim 1
  DN_DROPOUT = 6,     // fattrs: p
  DN_BATCH_NORM = 7,  // attrs: features, dims (1 or 2)
  DN_CONV2D = 8,      // attrs: in, out, kernel, stride, padding, groups, bias
  DN_MAX_POOL2D = 9,  // attrs: kernel, stride, padding
  DN_GLOBAL_AVG_POOL = 10,
};

enum dn_activation : int32_t {
  DN_RELU = 0, DN_TANH = 1, DN_SIGMOID = 2, DN_GELU = 3, DN_ELU = 4, DN_LEAKY_RELU = 5, DN_IDENTITY = 6,
};

enum dn_optimizer_kind : int32_t { DN_SGD = 0, DN_ADAM = 1, DN_ADAMW = 2 };

// Accumulated on the device between reads, so a step never waits for the host.
struct dn_step_stats {
  double loss_sum;
  int64_t correct;
  int64_t samples;
  int64_t steps;
  int64_t first_nonfinite_step;  // -1 when every loss was finite
  double last_loss;
};

DN_EXPORT const char* dn_last_error();
DN_EXPORT int dn_cuda_device_count(int32_t* out);
DN_EXPORT int dn_set_num_threads(int32_t n);
DN_EXPORT int dn_get_num_threads(int32_t* out);

DN_EXPORT int dn_dataset_create(const float* x, const int64_t* shape, int32_t ndim, const int64_t* y,
                                const char* device, void** out);
DN_EXPORT int dn_dataset_size(void* ds, int64_t* out);
DN_EXPORT int dn_dataset_shuffle(void* ds, uint64_t seed);
DN_EXPORT void dn_dataset_free(void* ds);

DN_EXPORT int dn_model_create(const dn_node* nodes, int32_t n_nodes, const char* device, uint64_t seed,
                              void** out);
DN_EXPORT int dn_model_param_count(void* model, int64_t* out);
DN_EXPORT int dn_model_copy_params(void* model, float* out, int64_t capacity);
DN_EXPORT void dn_model_free(void* model);

DN_EXPORT int dn_optimizer_create(void* model, int32_t kind, double lr, double momentum, double weight_decay,
                                  double beta1, double beta2, double eps, void** out);
DN_EXPORT int dn_optimizer_set_lr(void* opt, double lr);
DN_EXPORT void dn_optimizer_free(void* opt);

// Trains on permutation positions [start, start + count) of the last shuffle.
DN_EXPORT int dn_train_step(void* model, void* opt, void* ds, int64_t start, int64_t count);
DN_EXPORT int dn_read_stats(void* model, dn_step_stats* out);
// Loss sum and correct count over the whole dataset, in eval mode, without gradients.
DN_EXPORT int dn_evaluate(void* model, void* ds, int64_t batch_size, double* loss_sum, int64_t* correct);
