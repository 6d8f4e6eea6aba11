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
