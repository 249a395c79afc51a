#include "cache/cache_export_format.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "oci/error_quote.h"
#include "oci/strict_json.h"

namespace bt::cache {
namespace {

using Json = nlohmann::ordered_json;

Error Invalid(const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, "cache config: " + why);
}

// An index field: an integer in [-1, limit).
Result<int> IndexField(const Json& object, const char* key, std::size_t limit, const std::string& what) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return Invalid(what + ": no integer " + key);
  const std::int64_t value = it->get<std::int64_t>();
  if (value < -1 || value >= static_cast<std::int64_t>(limit)) {
    return Invalid(what + ": " + key + " " + std::to_string(value) + " is out of range");
  }
  return static_cast<int>(value);
}

Result<oci::Digest> DigestField(const Json& object, const char* key, const std::string& what) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return Invalid(what + ": no " + key);
  Result<oci::Digest> d = oci::Digest::Parse(it->get<std::string>());
  if (!d) return Invalid(what + ": " + key + " " + oci::QuoteCapped(it->get<std::string>()) + " is not a sha256 digest");
  return *d;
}

}  // namespace

std::string SerializeCacheConfig(const CacheConfig& config) {
  Json layers = Json::array();
  for (const ExportedLayer& l : config.layers) {
    Json j;
    j["blob"] = l.blob.ToString();
    j["parent"] = l.parent;
    layers.push_back(std::move(j));
  }
  std::vector<const ExportedRecord*> sorted;
  for (const ExportedRecord& r : config.records) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const ExportedRecord* a, const ExportedRecord* b) { return a->key < b->key; });
  Json records = Json::array();
  for (const ExportedRecord* r : sorted) {
    Json j;
    j["key"] = r->key.ToString();
    j["outputs"] = r->outputs;
    j["created"] = r->created;
    records.push_back(std::move(j));
  }
  Json top;
  top["layers"] = std::move(layers);
  top["records"] = std::move(records);
  return top.dump();
}

Result<CacheConfig> ParseCacheConfig(std::string_view json) {
  if (json.size() > kMaxCacheConfigBytes) {
    return Invalid(std::to_string(json.size()) + " bytes, over the limit of " + std::to_string(kMaxCacheConfigBytes));
  }
  BT_ASSIGN_OR_RETURN(const Json top, oci::ParseStrictJson<Json>(json, "cache config"));
  if (!top.is_object()) return Invalid("not a JSON object");
  auto layers = top.find("layers");
  auto records = top.find("records");
  if (layers == top.end() || !layers->is_array()) return Invalid("no layers array");
  if (records == top.end() || !records->is_array()) return Invalid("no records array");
  if (layers->size() > kMaxExportedLayers) return Invalid(std::to_string(layers->size()) + " layers, over the limit");
  if (records->size() > kMaxExportedRecords) return Invalid(std::to_string(records->size()) + " records, over the limit");
  CacheConfig config;
  config.layers.reserve(layers->size());
  for (std::size_t i = 0; i < layers->size(); ++i) {
    const Json& l = (*layers)[i];
    const std::string what = "layer " + std::to_string(i);
    if (!l.is_object()) return Invalid(what + " is not an object");
    ExportedLayer layer;
    BT_ASSIGN_OR_RETURN(layer.blob, DigestField(l, "blob", what));
    // Only an earlier layer may be the parent: chains end, and are read bottom up.
    BT_ASSIGN_OR_RETURN(layer.parent, IndexField(l, "parent", i, what));
    config.layers.push_back(layer);
  }
  std::set<oci::Digest> keys;
  config.records.reserve(records->size());
  for (std::size_t i = 0; i < records->size(); ++i) {
    const Json& r = (*records)[i];
    const std::string what = "record " + std::to_string(i);
    if (!r.is_object()) return Invalid(what + " is not an object");
    ExportedRecord record;
    BT_ASSIGN_OR_RETURN(record.key, DigestField(r, "key", what));
    if (!keys.insert(record.key).second) {
      return Invalid("the key " + record.key.ToString() + " has two records");
    }
    auto outputs = r.find("outputs");
    if (outputs == r.end() || !outputs->is_array() || outputs->empty() ||
        outputs->size() > kMaxOutputsPerRecord) {
      return Invalid(what + ": outputs is not an array of 1 to " + std::to_string(kMaxOutputsPerRecord) + " layer indices");
    }
    for (const Json& o : *outputs) {
      if (!o.is_number_integer() || o.get<std::int64_t>() < -1 ||
          o.get<std::int64_t>() >= static_cast<std::int64_t>(config.layers.size())) {
        return Invalid(what + ": an output is not a layer index");
      }
      record.outputs.push_back(static_cast<int>(o.get<std::int64_t>()));
    }
    if (auto created = r.find("created"); created != r.end()) {
      if (!created->is_string() || created->get<std::string>().size() > 64) return Invalid(what + ": created is not a time");
      record.created = created->get<std::string>();
    }
    config.records.push_back(std::move(record));
  }
  return config;
}

std::vector<oci::Digest> ChainOf(const CacheConfig& config, int index) {
  std::vector<oci::Digest> chain;
  for (int i = index; i >= 0 && i < static_cast<int>(config.layers.size()); i = config.layers[i].parent) {
    chain.push_back(config.layers[i].blob);
    if (config.layers[i].parent >= i) break;  // not one ParseCacheConfig accepted: stop
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

}  // namespace bt::cache
