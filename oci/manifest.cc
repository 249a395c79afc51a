#include "oci/manifest.h"

#include <nlohmann/json.hpp>

#include "oci/error_quote.h"
#include "oci/strict_json.h"

namespace bt::oci {
namespace {

using Json = nlohmann::ordered_json;

Json PlatformJson(const Platform& p) {
  Json j;
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

Json DescriptorJson(const Descriptor& d) {
  Json j;
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest.ToString();
  j["size"] = d.size;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) j["platform"] = PlatformJson(*d.platform);
  return j;
}

Error Invalid(std::string_view what, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument, std::string(what) + ": " + std::string(why));
}

Result<std::string> StringField(const Json& j, const char* key, std::string_view what,
                                bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return Invalid(what, std::string("no ") + key);
    return std::string();
  }
  if (!it->is_string()) return Invalid(what, std::string(key) + " is not a string");
  return it->get<std::string>();
}

Result<std::map<std::string, std::string>> Annotations(const Json& j, std::string_view what) {
  std::map<std::string, std::string> out;
  auto it = j.find("annotations");
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_object()) return Invalid(what, "annotations is not an object");
  for (auto& [k, v] : it->items()) {
    if (!v.is_string()) return Invalid(what, "annotation " + QuoteCapped(k) + " is not a string");
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

Result<Descriptor> ParseDescriptor(const Json& j, std::string_view what) {
  if (!j.is_object()) return Invalid(what, "a descriptor is not an object");
  Descriptor d;
  BT_ASSIGN_OR_RETURN(d.media_type, StringField(j, "mediaType", what, true));
  BT_ASSIGN_OR_RETURN(const std::string digest, StringField(j, "digest", what, true));
  BT_ASSIGN_OR_RETURN(d.digest, Digest::Parse(digest));
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer()) return Invalid(what, "no integer size");
  d.size = size->get<std::int64_t>();
  if (d.size < 0) return Invalid(what, "a negative size");
  BT_ASSIGN_OR_RETURN(d.annotations, Annotations(j, what));
  if (auto p = j.find("platform"); p != j.end() && !p->is_null()) {
    if (!p->is_object()) return Invalid(what, "platform is not an object");
    Platform platform;
    BT_ASSIGN_OR_RETURN(platform.os, StringField(*p, "os", what, true));
    BT_ASSIGN_OR_RETURN(platform.architecture, StringField(*p, "architecture", what, true));
    BT_ASSIGN_OR_RETURN(platform.variant, StringField(*p, "variant", what, false));
    d.platform = std::move(platform);
  }
  return d;
}

Result<Json> ParseObject(std::string_view json, std::size_t max_bytes, std::string_view what) {
  if (json.size() > max_bytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(what) + ": " + std::to_string(json.size()) +
                         " bytes, over the limit of " + std::to_string(max_bytes));
  }
  BT_ASSIGN_OR_RETURN(Json j, ParseStrictJson<Json>(json, what));
  if (!j.is_object()) return Invalid(what, "not a JSON object");
  // A document that is both (CVE-2021-41190): one reader would take it for an index, another
  // for a manifest, and each would fetch something else under the same digest.
  if (j.contains("manifests") && j.contains("layers")) {
    return Invalid(what, "it has both manifests and layers, so it is ambiguous");
  }
  // Nothing here follows a subject (referrers), but a malformed one is refused rather than
  // carried along.
  if (auto subject = j.find("subject"); subject != j.end() && !subject->is_null()) {
    BT_TRY(ParseDescriptor(*subject, what));
  }
  auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer() || version->get<std::int64_t>() != 2) {
    return Invalid(what, "schemaVersion is not 2");
  }
  return j;
}

}  // namespace

bool IsIndexMediaType(std::string_view media_type) {
  return media_type == media_type::kOciIndex || media_type == media_type::kDockerManifestList;
}

bool IsManifestMediaType(std::string_view media_type) {
  return media_type == media_type::kOciManifest || media_type == media_type::kDockerManifest;
}

std::optional<LayerCompression> LayerCompressionOf(std::string_view media_type) {
  if (media_type == media_type::kOciLayer || media_type == media_type::kDockerLayer) {
    return LayerCompression::kUncompressed;
  }
  if (media_type == media_type::kOciLayerGzip || media_type == media_type::kDockerLayerGzip) {
    return LayerCompression::kGzip;
  }
  if (media_type == media_type::kOciLayerZstd) return LayerCompression::kZstd;
  return std::nullopt;
}

std::string SerializeManifest(const ImageManifest& m) {
  Json j;
  j["schemaVersion"] = 2;
  j["mediaType"] = m.media_type;
  j["config"] = DescriptorJson(m.config);
  Json layers = Json::array();
  for (const Descriptor& d : m.layers) layers.push_back(DescriptorJson(d));
  j["layers"] = std::move(layers);
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  return j.dump();
}

std::string SerializeIndex(const ImageIndex& index) {
  Json j;
  j["schemaVersion"] = 2;
  if (!index.media_type.empty()) j["mediaType"] = index.media_type;
  Json manifests = Json::array();
  for (const Descriptor& d : index.manifests) manifests.push_back(DescriptorJson(d));
  j["manifests"] = std::move(manifests);
  if (!index.annotations.empty()) j["annotations"] = index.annotations;
  return j.dump();
}

Result<ImageManifest> ParseManifest(std::string_view json, std::size_t max_bytes) {
  constexpr std::string_view kWhat = "image manifest";
  BT_ASSIGN_OR_RETURN(const Json j, ParseObject(json, max_bytes, kWhat));
  ImageManifest m;
  BT_ASSIGN_OR_RETURN(m.media_type, StringField(j, "mediaType", kWhat, false));
  if (m.media_type.empty()) m.media_type = std::string(media_type::kOciManifest);
  if (!IsManifestMediaType(m.media_type)) {
    return Invalid(kWhat, "media type " + QuoteCapped(m.media_type) + " is not a manifest's");
  }
  auto config = j.find("config");
  if (config == j.end()) return Invalid(kWhat, "no config");
  BT_ASSIGN_OR_RETURN(m.config, ParseDescriptor(*config, kWhat));
  auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) return Invalid(kWhat, "no layers array");
  for (const Json& l : *layers) {
    BT_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(l, kWhat));
    m.layers.push_back(std::move(d));
  }
  BT_ASSIGN_OR_RETURN(m.annotations, Annotations(j, kWhat));
  return m;
}

Result<ImageIndex> ParseIndex(std::string_view json, std::size_t max_bytes) {
  constexpr std::string_view kWhat = "image index";
  BT_ASSIGN_OR_RETURN(const Json j, ParseObject(json, max_bytes, kWhat));
  ImageIndex index;
  BT_ASSIGN_OR_RETURN(index.media_type, StringField(j, "mediaType", kWhat, false));
  if (!index.media_type.empty() && !IsIndexMediaType(index.media_type)) {
    return Invalid(kWhat, "media type " + QuoteCapped(index.media_type) + " is not an index's");
  }
  auto manifests = j.find("manifests");
  if (manifests == j.end() || !manifests->is_array()) return Invalid(kWhat, "no manifests array");
  for (const Json& m : *manifests) {
    BT_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(m, kWhat));
    index.manifests.push_back(std::move(d));
  }
  BT_ASSIGN_OR_RETURN(index.annotations, Annotations(j, kWhat));
  return index;
}

}  // namespace bt::oci
