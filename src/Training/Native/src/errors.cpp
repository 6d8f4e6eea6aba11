#include "errors.h"
#include "api.h"
#include <malloc.h>

namespace {
thread_local std::string last_error;
}

void dn::set_error(const std::string& message) { last_error = message; }

torch::Device dn::parse_device(const char* device) {
  std::string name = device ? device : "cpu";
  torch::Device parsed(name);
  if (parsed.is_cuda()) {
    int64_t count = torch::cuda::device_count();
    if (parsed.index() >= count)
      throw std::runtime_error("device " + name + " is not available (" + std::to_string(count) +
                               " CUDA devices)");
  }
  return parsed;
}

DN_EXPORT const char* dn_last_error() { return last_error.c_str(); }

DN_EXPORT int dn_cuda_device_count(int32_t* out) {
  return dn::guarded("cuda_device_count", [&] { *out = static_cast<int32_t>(torch::cuda::device_count()); });
}

DN_EXPORT int dn_set_num_threads(int32_t n) {
  return dn::guarded("set_num_threads", [&] {
    if (n < 1) throw std::invalid_argument("thread count must be at least 1");
    torch::set_num_threads(n);
  });
}

// Returns the free pages inside glibc's heaps to the kernel. The thresholds below keep freed step buffers in the
// heap; a buffer that outlives its step (a checkpoint, an evaluation, the JIT's own data) can then sit above free
// space that the heap can no longer shrink past, and that space stays resident for the rest of the run. Called once
// an epoch, so resident memory follows what the run holds instead of the highest layout it ever had.
DN_EXPORT int dn_release_free_memory() {
  return dn::guarded("release_free_memory", [] {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
  });
}

DN_EXPORT int dn_get_num_threads(int32_t* out) {
  return dn::guarded("get_num_threads", [&] { *out = torch::get_num_threads(); });
}

namespace {
// CPU training frees and allocates the same large activation buffers every step. With glibc's defaults those
// above the mmap threshold, and freed heap tops above the trim threshold, go back to the kernel and come back as
// fresh zeroed pages, which cost a third of the CPU time of a small CNN in system time (bench/RESULTS.md).
// Keeping them in the heap lets every step reuse the previous step's pages; resident memory then stays at the
// peak of one step, which is also what a run holds anyway. The environment's own MALLOC_* settings win.
__attribute__((constructor)) void keep_step_buffers_in_the_heap() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("GLIBC_TUNABLES")) return;
  mallopt(M_MMAP_THRESHOLD, 512 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
}
}  // namespace
