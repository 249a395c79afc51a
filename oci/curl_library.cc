#include "oci/curl_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace bt::oci {
namespace {

CurlLibrary g_library;
const CurlLibrary* g_loaded = nullptr;
std::optional<Error> g_error;

template <typename F>
bool Find(void* handle, const char* name, F* slot, std::string* missing) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) {
    if (!missing->empty()) *missing += ", ";
    *missing += name;
    return false;
  }
  *slot = reinterpret_cast<F>(symbol);
  return true;
}

void Load() {
  // libcurl4-openssl-dev's library; the SONAME every Debian libcurl4 flavour shares.
  void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    g_error = MakeError(ErrorCode::kUnavailable,
                        std::string("load libcurl (apt-get install libcurl4): ") + (why ? why : "unknown"));
    return;
  }
  CurlLibrary& c = g_library;
  std::string missing;
  bool ok = true;
  ok &= Find(handle, "curl_global_init", &c.global_init, &missing);
  ok &= Find(handle, "curl_easy_init", &c.easy_init, &missing);
  ok &= Find(handle, "curl_easy_setopt", &c.easy_setopt, &missing);
  ok &= Find(handle, "curl_easy_getinfo", &c.easy_getinfo, &missing);
  ok &= Find(handle, "curl_easy_perform", &c.easy_perform, &missing);
  ok &= Find(handle, "curl_easy_reset", &c.easy_reset, &missing);
  ok &= Find(handle, "curl_easy_cleanup", &c.easy_cleanup, &missing);
  ok &= Find(handle, "curl_easy_strerror", &c.easy_strerror, &missing);
  ok &= Find(handle, "curl_slist_append", &c.slist_append, &missing);
  ok &= Find(handle, "curl_slist_free_all", &c.slist_free_all, &missing);
  ok &= Find(handle, "curl_url", &c.url, &missing);
  ok &= Find(handle, "curl_url_cleanup", &c.url_cleanup, &missing);
  ok &= Find(handle, "curl_url_set", &c.url_set, &missing);
  ok &= Find(handle, "curl_url_get", &c.url_get, &missing);
  ok &= Find(handle, "curl_url_strerror", &c.url_strerror, &missing);
  ok &= Find(handle, "curl_free", &c.free, &missing);
  if (!ok) {
    g_error = MakeError(ErrorCode::kUnavailable, "libcurl.so.4 lacks " + missing + " (too old?)");
    return;
  }
  // Not safe to race with other libcurl calls: done here, once, before any handle exists.
  const CURLcode code = c.global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    g_error = MakeError(ErrorCode::kUnavailable,
                        std::string("initialise libcurl: ") + c.easy_strerror(code));
    return;
  }
  g_loaded = &g_library;  // the handle stays open for the life of the process
}

}  // namespace

Result<const CurlLibrary*> LoadLibcurl() {
  static std::once_flag once;
  std::call_once(once, Load);
  if (g_loaded == nullptr) return *g_error;
  return g_loaded;
}

const CurlLibrary& Curl() {
  if (g_loaded == nullptr) std::abort();
  return *g_loaded;
}

}  // namespace bt::oci
