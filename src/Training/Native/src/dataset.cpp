#include "api.h"
#include "dataset.h"
#include "errors.h"

DN_EXPORT int dn_dataset_create(const float* x, const int64_t* shape, int32_t ndim, const int64_t* y,
                                const char* device, void** out) {
  return dn::guarded("dataset_create", [&] {
    if (ndim < 2) throw std::invalid_argument("inputs need a batch dimension and at least one feature dimension");
    std::vector<int64_t> dims(shape, shape + ndim);
    for (auto d : dims)
      if (d <= 0) throw std::invalid_argument("every dimension must be positive");
    auto ds = std::make_unique<dn::Dataset>();
    ds->device = dn::parse_device(device);
    ds->x = torch::from_blob(const_cast<float*>(x), dims, torch::kFloat32).to(ds->device, false, true);
    ds->y = torch::from_blob(const_cast<int64_t*>(y), {dims[0]}, torch::kInt64).to(ds->device, false, true);
    ds->order = torch::arange(dims[0], torch::TensorOptions().dtype(torch::kInt64).device(ds->device));
    *out = ds.release();
  });
}

DN_EXPORT int dn_dataset_size(void* ds, int64_t* out) {
  return dn::guarded("dataset_size", [&] { *out = static_cast<dn::Dataset*>(ds)->x.size(0); });
}

DN_EXPORT int dn_dataset_shuffle(void* handle, uint64_t seed) {
  return dn::guarded("dataset_shuffle", [&] {
    auto* ds = static_cast<dn::Dataset*>(handle);
    // Drawn on the CPU from its own generator, so the order depends on the seed only, not the device.
    auto gen = at::detail::createCPUGenerator(seed);
    auto perm = torch::randperm(ds->x.size(0), gen, torch::TensorOptions().dtype(torch::kInt64));
    ds->order = perm.to(ds->device);
  });
}

DN_EXPORT void dn_dataset_free(void* ds) { delete static_cast<dn::Dataset*>(ds); }

DN_EXPORT int dn_dataset_set_augment(void* handle, int32_t pad, int32_t flip, const float* fill, int32_t n_fill) {
  return dn::guarded("dataset_set_augment", [&] {
    auto* ds = static_cast<dn::Dataset*>(handle);
    if (pad < 0) throw std::invalid_argument("crop padding must be zero or positive");
    if ((pad > 0 || flip) && ds->x.dim() != 4)
      throw std::invalid_argument("random crop and flip need images [N, C, H, W]");
    ds->crop_pad = pad;
    ds->flip = flip != 0;
    if (n_fill > 0) {
      if (n_fill != ds->x.size(1))
        throw std::invalid_argument("padding fill has " + std::to_string(n_fill) + " values for " +
                                    std::to_string(ds->x.size(1)) + " channels");
      ds->crop_fill = torch::from_blob(const_cast<float*>(fill), {1, n_fill, 1, 1}, torch::kFloat32)
                          .to(ds->device, false, true);
    } else {
      ds->crop_fill = torch::Tensor();
    }
  });
}

torch::Tensor dn::Dataset::batch_x(const torch::Tensor& idx, bool augment, c10::optional<at::Generator> gen) const {
  auto batch = x.index_select(0, idx);
  if (!augment || (crop_pad == 0 && !flip)) return batch;
  const int64_t n = batch.size(0), c = batch.size(1), h = batch.size(2), w = batch.size(3);
  auto long_opts = torch::TensorOptions().dtype(torch::kInt64).device(device);
  if (crop_pad > 0) {
    // One random offset per sample, applied with two gathers: no host round trip, no per-sample loop.
    const int64_t p = crop_pad;
    // Padding with fill per channel: pad (x - fill) with zeros, then add fill back.
    auto padded = crop_fill.defined() ? torch::constant_pad_nd(batch - crop_fill, {p, p, p, p}, 0) + crop_fill
                                      : torch::constant_pad_nd(batch, {p, p, p, p}, 0);
    auto dy = torch::randint(0, 2 * p + 1, {n, 1}, gen, long_opts);
    auto dx = torch::randint(0, 2 * p + 1, {n, 1}, gen, long_opts);
    auto rows = (torch::arange(h, long_opts).unsqueeze(0) + dy).view({n, 1, h, 1}).expand({n, c, h, w + 2 * p});
    auto cropped_rows = padded.gather(2, rows);
    auto cols = (torch::arange(w, long_opts).unsqueeze(0) + dx).view({n, 1, 1, w}).expand({n, c, h, w});
    batch = cropped_rows.gather(3, cols);
  }
  if (flip) {
    auto mask = torch::rand({n}, gen, batch.options()).lt(0.5).view({n, 1, 1, 1});
    batch = torch::where(mask, batch.flip({3}), batch);
  }
  return batch;
}
