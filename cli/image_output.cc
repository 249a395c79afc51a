#include "cli/image_output.h"

#include <chrono>

#include "exporter/image_build.h"
#include "exporter/image_layout.h"
#include "exporter/image_store.h"
#include "exporter/registry_push.h"
#include "cli/registry_access.h"

namespace bt::cli {
namespace {

Error BadAttr(const OutputSpec& spec, const std::string& key, const std::string& accepted) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "output type=" + spec.type + ": invalid " + key + "=" + spec.attrs.at(key) +
                       " (accepted: " + accepted + ")");
}

Result<bool> BoolAttr(const OutputSpec& spec, const std::string& key, bool fallback) {
  auto it = spec.attrs.find(key);
  if (it == spec.attrs.end()) return fallback;
  if (it->second == "true" || it->second == "1") return true;
  if (it->second == "false" || it->second == "0") return false;
  return BadAttr(spec, key, "true, false");
}

Result<std::vector<oci::Reference>> NamesOf(const OutputSpec& spec,
                                            const std::vector<oci::Reference>& tags) {
  std::vector<oci::Reference> names;
  auto it = spec.attrs.find("name");
  if (it == spec.attrs.end()) return tags;
  std::string list = it->second;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = list.find(',', start);
    const std::string one = list.substr(start, comma == std::string::npos ? std::string::npos
                                                                          : comma - start);
    if (!one.empty()) {
      Result<oci::Reference> ref = oci::ParseReference(one);
      if (!ref) return std::move(ref).error().Wrap("output type=" + spec.type + " name");
      names.push_back(*ref);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

struct ImageAttrs {
  exporter::ImageOptions image;
  bool tar = true;
  bool push = false;
};

Result<ImageAttrs> AttrsOf(const OutputSpec& spec) {
  static const std::set<std::string> kKnown = {"name", "compression", "compression-level",
                                               "force-compression", "oci-mediatypes",
                                               "rewrite-timestamp", "tar", "push"};
  for (const auto& [key, value] : spec.attrs) {
    if (!kKnown.count(key)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "output type=" + spec.type + ": unknown attribute " + key);
    }
  }
  ImageAttrs a;
  if (auto it = spec.attrs.find("compression"); it != spec.attrs.end()) {
    if (it->second == "gzip") {
      a.image.layer.compression = oci::LayerCompression::kGzip;
    } else if (it->second == "zstd") {
      a.image.layer.compression = oci::LayerCompression::kZstd;
    } else if (it->second == "uncompressed") {
      a.image.layer.compression = oci::LayerCompression::kUncompressed;
    } else {
      return BadAttr(spec, "compression", "gzip, zstd, uncompressed");
    }
  }
  if (auto it = spec.attrs.find("compression-level"); it != spec.attrs.end()) {
    int level = -1;
    try {
      std::size_t used = 0;
      level = std::stoi(it->second, &used);
      if (used != it->second.size()) level = -2;
    } catch (const std::exception&) {
      level = -2;
    }
    const int max = a.image.layer.compression == oci::LayerCompression::kZstd ? 22 : 9;
    if (level < 0 || level > max) return BadAttr(spec, "compression-level", "0 to " + std::to_string(max));
    a.image.layer.level = level;
  }
  BT_ASSIGN_OR_RETURN(a.image.layer.force, BoolAttr(spec, "force-compression", false));
  BT_ASSIGN_OR_RETURN(a.image.oci_media_types,
                      BoolAttr(spec, "oci-mediatypes", spec.type != "docker"));
  BT_ASSIGN_OR_RETURN(a.tar, BoolAttr(spec, "tar", true));
  BT_ASSIGN_OR_RETURN(a.push, BoolAttr(spec, "push", false));
  if (a.push && spec.type != "image") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "output type=" + spec.type + ": push=true goes with type=image (or type=registry)");
  }
  return a;
}

}  // namespace

bool IsImageOutput(const OutputSpec& spec) {
  return spec.type == "image" || spec.type == "oci" || spec.type == "docker";
}

Result<std::vector<oci::Reference>> ParseTags(const std::vector<std::string>& tags) {
  std::vector<oci::Reference> out;
  for (const std::string& t : tags) {
    Result<oci::Reference> ref = oci::ParseReference(t);
    if (!ref) return std::move(ref).error().Wrap("-t " + t);
    if (ref->tag.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "-t " + t + ": a name needs a tag, not only a digest");
    }
    out.push_back(*ref);
  }
  return out;
}

Result<void> CheckImageOutput(const OutputSpec& spec, const std::vector<oci::Reference>& tags) {
  BT_TRY(AttrsOf(spec));
  BT_ASSIGN_OR_RETURN(const std::vector<oci::Reference> names, NamesOf(spec, tags));
  if (spec.type == "image" && names.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "output type=image needs a name: -t NAME or name=NAME");
  }
  for (const oci::Reference& n : names) {
    if (spec.attrs.count("push") && spec.attrs.at("push") == "true" && n.tag.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "pushing " + n.ToString() + " needs a tag");
    }
  }
  if (spec.type != "image" && spec.destination.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "output type=" + spec.type + " needs dest=PATH");
  }
  return {};
}

Result<ExportedImage> ExportImageOutput(const OutputSpec& spec, const ImageExportContext& ctx) {
  BT_ASSIGN_OR_RETURN(ImageAttrs attrs, AttrsOf(spec));
  BT_ASSIGN_OR_RETURN(const std::vector<oci::Reference> names, NamesOf(spec, ctx.tags));
  attrs.image.source_date_epoch = ctx.source_date_epoch;
  attrs.image.build_time_ns = ctx.build_time_ns;
  attrs.image.labels = ctx.labels;
  BT_ASSIGN_OR_RETURN(const bool rewrite, BoolAttr(spec, "rewrite-timestamp", false));
  if (rewrite) {
    if (!ctx.source_date_epoch) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "output type=" + spec.type + ",rewrite-timestamp=true needs "
                       "SOURCE_DATE_EPOCH (environment or --build-arg)");
    }
    attrs.image.layer.clamp_mtime = ctx.source_date_epoch;
  }
  cache::CacheRoot& root = *ctx.root;
  cache::Lease& lease = *ctx.lease;
  attrs.image.hold = [&](const std::vector<oci::Digest>& blobs) -> Result<void> {
    return root.db().Update([&](cache::WriteTxn& txn) -> Result<void> {
      for (const oci::Digest& d : blobs) BT_TRY(lease.AddBlob(txn, d));
      return {};
    });
  };

  solver::VertexEvent event;
  event.vertex = oci::Digest::Of("export " + spec.type + " " + spec.destination);
  event.name = spec.type == "image"  ? "exporting to image"
               : spec.type == "oci" ? "exporting to oci image format"
                                    : "exporting to docker image format";
  event.time = std::chrono::system_clock::now();
  ctx.progress->Emit(event);
  auto finish = [&](const Result<void>& done) {
    event.time = std::chrono::system_clock::now();
    event.state = done ? solver::VertexState::kCompleted : solver::VertexState::kFailed;
    if (!done) event.error = done.error().message;
    ctx.progress->Emit(event);
  };

  Result<exporter::BuiltImage> image =
      exporter::BuildImage(root, ctx.snapshot, ctx.config, attrs.image);
  if (!image) {
    finish(image.error());
    return std::move(image).error();
  }
  Result<void> done;
  if (spec.type == "image") {
    Result<exporter::ImageStore> store = exporter::ImageStore::Open(root.path());
    done = store ? Result<void>() : Result<void>(store.error());
    for (const oci::Reference& name : names) {
      if (!done) break;
      done = store->Tag(name, image->manifest);
    }
    for (const oci::Reference& name : names) {
      if (!done || !attrs.push) break;
      if (ctx.registry == nullptr) {
        done = MakeError(ErrorCode::kInternal, "no registry client to push with");
        break;
      }
      Result<exporter::PushReport> pushed = exporter::PushImage(
          root.content(), *ctx.registry, name, image->manifest_json, image->manifest.media_type,
          MountSources(root.content(), *store, name));
      done = pushed ? Result<void>() : Result<void>(std::move(pushed).error().Wrap("push " + name.FamiliarString()));
    }
  } else {
    exporter::LayoutOptions layout;
    layout.tar = attrs.tar;
    layout.docker_manifest = spec.type == "docker";
    layout.names = names;
    layout.mtime = ctx.source_date_epoch.value_or(0);
    done = exporter::WriteImageLayout(root.content(), *image, spec.destination, layout);
  }
  finish(done);
  if (!done) return std::move(done).error();
  ExportedImage out;
  out.manifest = image->manifest;
  out.config = image->config.digest;
  out.names = names;
  return out;
}

}  // namespace bt::cli
