#pragma once
#include <string>
#include <torch/torch.h>

namespace dn {
void set_error(const std::string& message);

// Runs body; turns any C++ exception into -1 plus a message, so no exception crosses the C ABI.
template <typename F>
int guarded(const char* op, F&& body) {
  try {
    body();
    return 0;
  } catch (const c10::Error& e) {
    set_error(std::string(op) + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_error(std::string(op) + ": " + e.what());
  } catch (...) {
    set_error(std::string(op) + ": unknown native error");
  }
  return -1;
}

torch::Device parse_device(const char* device);
}  // namespace dn
