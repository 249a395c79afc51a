// libcurl, loaded when the first HTTP request is made rather than when buildtool starts.
// libcurl and the ~30 libraries it pulls in (TLS, Kerberos, LDAP, ICU...) cost about 4.5 ms
// of dynamic linking at every start here, which a fully cached build (issue 5: tens of
// milliseconds) would pay without making a single request. The functions buildtool uses are
// looked up once with dlopen/dlsym; after LoadLibcurl() succeeded, Curl() hands them out.
// Thread-safe (the load happens once, under std::call_once).
#pragma once

#include <curl/curl.h>

#include "base/result.h"

namespace bt::oci {

struct CurlLibrary {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...);
  CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...);
  CURLcode (*easy_perform)(CURL* handle);
  void (*easy_reset)(CURL* handle);
  void (*easy_cleanup)(CURL* handle);
  const char* (*easy_strerror)(CURLcode code);
  curl_slist* (*slist_append)(curl_slist* list, const char* line);
  void (*slist_free_all)(curl_slist* list);
  CURLU* (*url)();
  void (*url_cleanup)(CURLU* url);
  CURLUcode (*url_set)(CURLU* url, CURLUPart part, const char* content, unsigned int flags);
  CURLUcode (*url_get)(const CURLU* url, CURLUPart part, char** content, unsigned int flags);
  const char* (*url_strerror)(CURLUcode code);
  void (*free)(void* p);
};

// Loads libcurl (libcurl.so.4) and runs curl_global_init, once. kUnavailable naming what is
// missing when the library or one of its functions cannot be found.
Result<const CurlLibrary*> LoadLibcurl();

// The loaded library; only after LoadLibcurl() returned it (aborts otherwise: a bug).
const CurlLibrary& Curl();

}  // namespace bt::oci
