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
  DN_RELU = 0, DN_TANH = 1, DN_SIGMOID = 2, DN_GELU = 3, DN_ELU = 4, DN_LEAKY_RELU = 5, DN_IDENTITY = 6, DN_RELU6 = 7,
};

enum dn_optimizer_kind : int32_t { DN_SGD = 0, DN_ADAM = 1, DN_ADAMW = 2 };

// Kernels of the distance regulariser: loss + factor * sum_i kernel(||theta - theta_i||).
enum dn_kernel : int32_t { DN_KERNEL_RBF = 0, DN_KERNEL_TANH = 1 };

// Arithmetic of a model's forward passes: fp32; tf32 (CUDA matmuls and convolutions in TF32, Ampere or newer);
// bf16 (autocast to bfloat16 on the CPU or a GPU, weights and optimizer state staying fp32).
enum dn_precision : int32_t { DN_PRECISION_FP32 = 0, DN_PRECISION_TF32 = 1, DN_PRECISION_BF16 = 2 };

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
DN_EXPORT int dn_release_free_memory();

DN_EXPORT int dn_dataset_create(const float* x, const int64_t* shape, int32_t ndim, const int64_t* y,
                                const char* device, void** out);
DN_EXPORT int dn_dataset_size(void* ds, int64_t* out);
DN_EXPORT int dn_dataset_shuffle(void* ds, uint64_t seed);
// Random crop after padding by `pad` pixels, and a horizontal flip with probability 1/2, drawn per sample on the
// device at every training step. Images only ([N, C, H, W]). Padding takes fill[c] per channel (a black pixel
// after normalisation, as torchvision pads before normalising); n_fill 0 pads with zeros.
DN_EXPORT int dn_dataset_set_augment(void* ds, int32_t pad, int32_t flip, const float* fill, int32_t n_fill);
DN_EXPORT void dn_dataset_free(void* ds);

// devices: one device ("cpu", "cuda:0"), or a comma-separated list for data parallel training: the first
// holds the model the optimizers update; the others hold replicas that take a share of every batch.
DN_EXPORT int dn_model_create(const dn_node* nodes, int32_t n_nodes, const char* devices, uint64_t seed,
                              void** out);
DN_EXPORT int dn_model_param_count(void* model, int64_t* out);
DN_EXPORT int dn_model_copy_params(void* model, float* out, int64_t capacity);
// Parameters of nodes[i] for each listed node, in graph order: the parameter groups optimizers work on.
DN_EXPORT int dn_model_group_param_count(void* model, const int32_t* node_indices, int32_t n, int64_t* out);
// Stored minima, each a flat parameter vector in dn_model_copy_params order; replaces any earlier ones.
DN_EXPORT int dn_model_set_distance(void* model, const float* minima, int32_t n_minima, int64_t n_params,
                                    int32_t kernel, double factor, double width);
// Euclidean distance from the current parameters to the nearest stored minimum (-1 when none).
DN_EXPORT int dn_model_distance(void* model, double* out);
DN_EXPORT int dn_model_global_step(void* model, int64_t* out);
// Seeds the run's dropout and augmentation draws. The trainer reseeds at each epoch start from (seed, epoch), so a
// checkpoint taken at an epoch boundary fixes all later random draws. CPU runs have their own generator.
DN_EXPORT int dn_model_reseed(void* model, uint64_t seed);
// precision: a dn_precision; cudnn_benchmark: let cuDNN time its algorithms for each new input shape (CUDA only).
DN_EXPORT int dn_model_set_precision(void* model, int32_t precision, int32_t cudnn_benchmark);
DN_EXPORT void dn_model_free(void* model);

DN_EXPORT int dn_optimizer_create(void* model, const int32_t* node_indices, int32_t n_indices, int32_t kind,
                                  double lr, double momentum, double weight_decay, double beta1, double beta2,
                                  double eps, void** out);
DN_EXPORT int dn_optimizer_set_lr(void* opt, double lr);
DN_EXPORT void dn_optimizer_free(void* opt);

// Trains on permutation positions [start, start + count) of the last shuffle; every optimizer steps once.
DN_EXPORT int dn_train_step(void* model, void* const* opts, int32_t n_opts, void* ds, int64_t start, int64_t count);
DN_EXPORT int dn_read_stats(void* model, dn_step_stats* out);
// Loss sum and correct count over the whole dataset, in eval mode, without gradients. When scores is not
// null it receives the softmax probabilities, [N, classes] row-major (for average precision).
DN_EXPORT int dn_evaluate(void* model, void* ds, int64_t batch_size, double* loss_sum, int64_t* correct,
                          float* scores, int64_t scores_capacity);

// Weights, buffers (batch-norm statistics), every optimizer's state and the model's step count, in one file.
DN_EXPORT int dn_checkpoint_save(void* model, void* const* opts, int32_t n_opts, const char* path);
// n_opts < 0 loads the weights only (a minimum taken from another run's checkpoint).
DN_EXPORT int dn_checkpoint_load(void* model, void* const* opts, int32_t n_opts, const char* path);

// What this process trains with, as "key=value" lines (header_version, cuda_available, cudart_version,
// cudnn_version, blas_library, openblas_config), then "show_config=" and libtorch's own multi-line report. The
// string lives as long as the process.
DN_EXPORT int dn_build_info(const char** out);
