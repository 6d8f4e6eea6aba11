#pragma once
#include <torch/torch.h>

namespace dn {
// Inputs and labels live on the training device for the whole run; batches are gathered there by index.
struct Dataset {
  torch::Tensor x;
  torch::Tensor y;
  torch::Tensor order;  // the current epoch's permutation, on the device
  torch::Device device{torch::kCPU};
  int64_t crop_pad = 0;
  bool flip = false;
  torch::Tensor crop_fill;  // [1, C, 1, 1] or undefined (zeros)

  // The batch at permutation positions [start, start + count), augmented when training asks for it.
  torch::Tensor batch_x(const torch::Tensor& idx, bool augment, c10::optional<at::Generator> gen) const;
};
}  // namespace dn
