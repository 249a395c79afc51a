// ImportedCache: an exported build cache (cache/cache_export_format.h) read back for matching
// (--cache-from): its manifest's layers and its config's records, checked against each other
// before anything trusts them, then looked up by portable key. Nothing is fetched here: a
// record names its outputs' layers (blob descriptor and diffID), and a layer blob is only
// needed when a step that hits the record must have the result's content.
//
// What an import must refuse (SECURITY.md cases 30–33, 45): a config that is not the cache
// config type, a record layer whose blob the manifest does not list, a manifest layer that is
// not a tar layer or lacks a valid diffID annotation. A record can only satisfy the key it
// names; whether its layers hold what the key promises is checked when they are unpacked
// (each blob against its digest, each tar against its diffID). Plain values; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/digest.h"
#include "oci/manifest.h"

namespace bt::cache {

struct ImportedLayer {
  oci::Descriptor blob;
  oci::Digest diff_id;
};

class ImportedCache {
 public:
  // `manifest_json` and `config_json` are the cache's manifest and config blob, each already
  // checked against its digest by whoever fetched it. kInvalidArgument naming what is wrong.
  static Result<ImportedCache> Parse(std::string_view manifest_json, std::string_view config_json);

  // Per output of the record for `key`, its layers bottom first (empty: an empty root
  // filesystem); nullopt when the cache has no record for the key.
  std::optional<std::vector<std::vector<ImportedLayer>>> Lookup(const oci::Digest& key) const;
  std::size_t size() const { return records_.size(); }

 private:
  std::map<oci::Digest, std::vector<std::vector<ImportedLayer>>> records_;
};

}  // namespace bt::cache
