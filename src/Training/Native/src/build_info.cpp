// What this process trains with: the libtorch build and the BLAS it actually calls, recorded with every run so that
// a result can be traced to the numerical libraries that produced it.
#include <ATen/Context.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <link.h>
#include <torch/version.h>

#include <climits>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "api.h"
#include "errors.h"

namespace {
bool is_blas(const std::string& path) {
  auto name = path.substr(path.find_last_of('/') + 1);
  return name.find("blas") != std::string::npos || name.find("mkl_") != std::string::npos ||
         name.find("blis") != std::string::npos;
}

// The BLAS libraries loaded into this process. Debian's libtorch calls whatever libblas.so.3 the system's
// alternatives point at (reference BLAS, OpenBLAS, BLIS, MKL), which show_config cannot know (BLAS_INFO=generic),
// and which changes a run's speed fifty-fold and its last digits. Walked with dl_iterate_phdr rather than looked
// up with dlsym, since .NET loads the shim, and with it libtorch's dependencies, outside the global symbol scope.
std::vector<std::string> loaded_blas() {
  std::vector<std::string> found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* out = static_cast<std::vector<std::string>*>(data);
        if (info->dlpi_name && *info->dlpi_name && is_blas(info->dlpi_name)) out->emplace_back(info->dlpi_name);
        return 0;
      },
      &found);
  return found;
}

// OpenBLAS names its version and the kernels it picked for this CPU ("OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell").
std::string openblas_config(const std::vector<std::string>& libraries) {
  for (const auto& path : libraries) {
    void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) continue;
    auto get_config = reinterpret_cast<const char* (*)()>(dlsym(handle, "openblas_get_config"));
    std::string config = get_config ? get_config() : "";
    dlclose(handle);
    if (!config.empty()) return config;
  }
  return "";
}

std::string describe() {
  std::ostringstream out;
  // The headers the shim was compiled against; show_config below names the library that is loaded.
  out << "header_version=" << TORCH_VERSION << "\n";
  // A CPU build's hooks answer false; a CUDA build's, what the driver and the libraries it loaded say.
  const auto& cuda = at::detail::getCUDAHooks();
  out << "cuda_available=" << (cuda.hasCUDA() ? 1 : 0) << "\n";
  if (cuda.hasCUDART()) out << "cudart_version=" << cuda.versionCUDART() << "\n";
  if (cuda.hasCuDNN()) out << "cudnn_version=" << cuda.versionCuDNN() << "\n";
  auto blas = loaded_blas();
  for (const auto& path : blas) {
    char resolved[PATH_MAX];
    // libblas.so.3 is a chain of alternatives links; where it ends says which BLAS it is.
    out << "blas_library=" << (realpath(path.c_str(), resolved) ? resolved : path.c_str()) << "\n";
  }
  auto config = openblas_config(blas);
  if (!config.empty()) out << "openblas_config=" << config << "\n";
  // Multi-line, so last: everything after this line is libtorch's own report.
  out << "show_config=\n" << at::show_config();
  return out.str();
}
}  // namespace

DN_EXPORT int dn_build_info(const char** out) {
  return dn::guarded("build_info", [&] {
    // Fixed for the life of the process; the string outlives every caller.
    static const std::string info = describe();
    *out = info.c_str();
  });
}
