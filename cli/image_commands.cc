#include "cli/image_commands.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cache/image_roots.h"
#include "cache/lease.h"
#include "cli/cache_root_path.h"
#include "cli/error_report.h"
#include "cli/registry_access.h"
#include "exporter/image_import.h"
#include "exporter/image_layout.h"
#include "exporter/image_store.h"
#include "exporter/registry_pull.h"
#include "exporter/registry_push.h"
#include "exporter/store_resolver.h"
#include "oci/http_client.h"

namespace bt::cli {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

int Fail(const Error& e) {
  std::fputs(FormatError(e, "").c_str(), stderr);
  return kExitFailed;
}

int Usage(const Error& e) {
  std::fputs(FormatError(e, "").c_str(), stderr);
  return kExitUsage;
}

// The stored image as a BuiltImage (what the layout writer takes): an index is followed to
// the host platform's manifest.
Result<exporter::BuiltImage> LoadStored(cache::CacheRoot& root, const oci::Descriptor& top) {
  oci::Descriptor desc = top;
  for (int depth = 0; oci::IsIndexMediaType(desc.media_type); ++depth) {
    if (depth >= 8) return MakeError(ErrorCode::kInvalidArgument, "indexes nested too deep");
    BT_ASSIGN_OR_RETURN(const std::string text,
                        root.content().ReadAll(desc.digest, oci::kMaxManifestBytes, "manifest"));
    BT_ASSIGN_OR_RETURN(const oci::ImageIndex index, oci::ParseIndex(text));
    std::optional<oci::Descriptor> pick =
        exporter::PickPlatform(index, oci::Platform{"linux", "amd64", ""});
    if (!pick) return MakeError(ErrorCode::kNotFound, "no linux/amd64 image in the index");
    desc = *pick;
  }
  exporter::BuiltImage image;
  BT_ASSIGN_OR_RETURN(image.manifest_json,
                      root.content().ReadAll(desc.digest, oci::kMaxManifestBytes, "manifest"));
  BT_ASSIGN_OR_RETURN(const oci::ImageManifest manifest, oci::ParseManifest(image.manifest_json));
  BT_ASSIGN_OR_RETURN(image.config_json, root.content().ReadAll(manifest.config.digest,
                                                                oci::kMaxConfigBytes, "config"));
  image.manifest = desc;
  image.manifest.annotations.clear();
  image.config = manifest.config;
  image.layers = manifest.layers;
  return image;
}

Result<std::vector<oci::Reference>> ParseNames(const std::vector<std::string>& names) {
  std::vector<oci::Reference> out;
  for (const std::string& n : names) {
    Result<oci::Reference> ref = oci::ParseReference(n);
    if (!ref) return std::move(ref).error().Wrap("image name " + n);
    out.push_back(*ref);
  }
  return out;
}

struct Opened {
  std::optional<cache::CacheRoot> root;
  std::optional<exporter::ImageStore> store;
};

Result<Opened> Open(const std::string& root_flag) {
  Opened o;
  BT_ASSIGN_OR_RETURN(cache::CacheRoot root, cache::CacheRoot::Open(CacheRootPath(root_flag)));
  BT_ASSIGN_OR_RETURN(exporter::ImageStore store, exporter::ImageStore::Open(root.path()));
  o.root = std::move(root);
  o.store = std::move(store);
  return o;
}

std::string HumanSize(std::int64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
  return buf;
}

// Holds every blob of the images in `lease` and checks they are all still there: a prune that
// ran between their ingest and this hold (they were not named yet) may have taken one.
Result<void> HoldImages(cache::CacheRoot& root, cache::Lease& lease,
                        const std::vector<exporter::ImportedImage>& images) {
  std::set<oci::Digest> blobs;
  for (const exporter::ImportedImage& image : images) {
    const std::set<oci::Digest> some = cache::BlobsOf(root.content(), image.manifest);
    blobs.insert(some.begin(), some.end());
  }
  BT_TRY(root.db().Update([&](cache::WriteTxn& txn) -> Result<void> {
    for (const oci::Digest& d : blobs) BT_TRY(lease.AddBlob(txn, d));
    return {};
  }));
  for (const oci::Digest& d : blobs) {
    if (!root.content().Contains(d)) {
      return MakeError(ErrorCode::kUnavailable, "blob " + d.ToString() +
                                                    " was pruned while it was being added: run the "
                                                    "command again");
    }
  }
  return {};
}

// Names the loaded or imported images; names that do not parse are reported and skipped.
int NameAll(exporter::ImageStore& store, const exporter::ImportedImage& image,
            const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    Result<oci::Reference> ref = oci::ParseReference(n);
    if (!ref) {
      std::fprintf(stderr, "warning: not naming the image %s: %s\n", n.c_str(),
                   ref.error().message.c_str());
      continue;
    }
    if (Result<void> r = store.Tag(*ref, image.manifest); !r) return Fail(r.error());
    std::printf("Loaded image: %s\n", ref->FamiliarString().c_str());
  }
  if (names.empty()) std::printf("Loaded image: %s\n", image.manifest.digest.ToString().c_str());
  return 0;
}

}  // namespace

int RunImages(const ImageCommandFlags& flags) {
  Result<Opened> o = Open(flags.root);
  if (!o) return Fail(o.error());
  Result<std::vector<exporter::StoredImage>> all = o->store->List();
  if (!all) return Fail(all.error());
  if (!flags.quiet) std::printf("%-40s %-20s %-19s %s\n", "REPOSITORY", "TAG", "DIGEST", "SIZE");
  for (const exporter::StoredImage& image : *all) {
    if (flags.quiet) {
      std::printf("%s\n", image.manifest.digest.ToString().c_str());
      continue;
    }
    Result<oci::Reference> ref = oci::ParseReference(image.name);
    std::string repo = image.name, tag = "<none>";
    if (ref) {
      tag = ref->tag;
      oci::Reference bare = *ref;
      bare.tag.clear();
      bare.digest.reset();
      repo = bare.FamiliarString();
      if (const std::size_t colon = repo.rfind(':');
          colon != std::string::npos && repo.find('/', colon) == std::string::npos) {
        repo.erase(colon);
      }
    }
    std::int64_t size = 0;
    if (Result<exporter::BuiltImage> built = LoadStored(*o->root, image.manifest); built) {
      size = built->config.size;
      for (const oci::Descriptor& l : built->layers) size += l.size;
    }
    std::printf("%-40s %-20s %-19s %s\n", repo.c_str(), tag.c_str(),
                image.manifest.digest.ToString().substr(0, 19).c_str(), HumanSize(size).c_str());
  }
  return 0;
}

int RunTag(const ImageCommandFlags& flags) {
  if (flags.names.size() != 2)
    return Usage(MakeError(ErrorCode::kInvalidArgument, "tag SOURCE TARGET"));
  Result<std::vector<oci::Reference>> names = ParseNames(flags.names);
  if (!names) return Usage(names.error());
  Result<Opened> o = Open(flags.root);
  if (!o) return Fail(o.error());
  Result<std::optional<exporter::StoredImage>> source = o->store->Find((*names)[0]);
  if (!source) return Fail(source.error());
  if (!*source) {
    return Fail(MakeError(ErrorCode::kNotFound, "no such image: " + (*names)[0].FamiliarString()));
  }
  oci::Descriptor d = (*source)->manifest;
  d.annotations.clear();
  if (Result<void> r = o->store->Tag((*names)[1], d); !r) return Fail(r.error());
  return 0;
}

int RunRmi(const ImageCommandFlags& flags) {
  Result<std::vector<oci::Reference>> names = ParseNames(flags.names);
  if (!names) return Usage(names.error());
  Result<Opened> o = Open(flags.root);
  if (!o) return Fail(o.error());
  int rc = 0;
  for (const oci::Reference& n : *names) {
    Result<bool> removed = o->store->Untag(n);
    if (!removed) return Fail(removed.error());
    if (!*removed) {
      std::fprintf(stderr, "error: no such image: %s\n", n.FamiliarString().c_str());
      rc = kExitFailed;
      continue;
    }
    // The blobs stay until `buildtool prune`, which frees what no image or record names.
    std::printf("Untagged: %s\n", n.FamiliarString().c_str());
  }
  return rc;
}

int RunInspect(const ImageCommandFlags& flags) {
  if (flags.names.size() != 1) return Usage(MakeError(ErrorCode::kInvalidArgument, "inspect NAME"));
  Result<std::vector<oci::Reference>> names = ParseNames(flags.names);
  if (!names) return Usage(names.error());
  Result<Opened> o = Open(flags.root);
  if (!o) return Fail(o.error());
  Result<std::optional<exporter::StoredImage>> found = o->store->Find((*names)[0]);
  if (!found) return Fail(found.error());
  if (!*found) {
    return Fail(MakeError(ErrorCode::kNotFound, "no such image: " + (*names)[0].FamiliarString()));
  }
  Result<exporter::BuiltImage> image = LoadStored(*o->root, (*found)->manifest);
  if (!image) return Fail(image.error());
  nlohmann::ordered_json out;
  out["Name"] = (*found)->name;
  out["Digest"] = image->manifest.digest.ToString();
  out["Manifest"] = nlohmann::ordered_json::parse(image->manifest_json);
  out["Config"] = nlohmann::ordered_json::parse(image->config_json);
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

int RunSave(const ImageCommandFlags& flags) {
  if (flags.names.empty())
    return Usage(MakeError(ErrorCode::kInvalidArgument, "save NAME... -o FILE"));
  if (flags.format != "oci" && flags.format != "docker") {
    return Usage(
        MakeError(ErrorCode::kInvalidArgument, "--format " + flags.format + ": oci or docker"));
  }
  Result<std::vector<oci::Reference>> names = ParseNames(flags.names);
  if (!names) return Usage(names.error());
  Result<Opened> o = Open(flags.root);
  if (!o) return Fail(o.error());
  std::optional<oci::Digest> digest;
  oci::Descriptor top;
  for (const oci::Reference& n : *names) {
    Result<std::optional<exporter::StoredImage>> found = o->store->Find(n);
    if (!found) return Fail(found.error());
    if (!*found)
      return Fail(MakeError(ErrorCode::kNotFound, "no such image: " + n.FamiliarString()));
    if (digest && *digest != (*found)->manifest.digest) {
      return Fail(MakeError(ErrorCode::kInvalidArgument,
                            "save writes one image per archive; these names are different images"));
    }
    digest = (*found)->manifest.digest;
    top = (*found)->manifest;
  }
  Result<exporter::BuiltImage> image = LoadStored(*o->root, top);
  if (!image) return Fail(image.error());
  exporter::LayoutOptions layout;
  layout.docker_manifest = flags.format == "docker";
  layout.names = *names;
  const std::string dest = flags.file.empty() ? "-" : flags.file;
  if (Result<void> r = exporter::WriteImageLayout(o->root->content(), *image, dest, layout); !r) {
    return Fail(r.error());
  }
  return 0;
}

int RunLoad(const ImageCommandFlags& flags) {
  Result<Opened> o = Open(flags.root);
  if (!o) return Fail(o.error());
  Result<cache::Lease> lease = cache::Lease::Acquire(o->root->db());
  if (!lease) return Fail(lease.error());
  Result<std::vector<exporter::ImportedImage>> images =
      exporter::LoadArchive(*o->root, flags.file.empty() ? "-" : flags.file);
  if (!images) return Fail(images.error());
  if (Result<void> held = HoldImages(*o->root, *lease, *images); !held) return Fail(held.error());
  for (const exporter::ImportedImage& image : *images) {
    if (const int rc = NameAll(*o->store, image, image.names); rc != 0) return rc;
  }
  return 0;
}

int RunImport(const ImageCommandFlags& flags) {
  if (flags.file.empty() || flags.names.size() > 1) {
    return Usage(MakeError(ErrorCode::kInvalidArgument, "import FILE|- [NAME]"));
  }
  Result<std::vector<oci::Reference>> names = ParseNames(flags.names);
  if (!names) return Usage(names.error());
  Result<Opened> o = Open(flags.root);
  if (!o) return Fail(o.error());
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  Result<cache::Lease> lease = cache::Lease::Acquire(o->root->db());
  if (!lease) return Fail(lease.error());
  Result<exporter::ImportedImage> image =
      exporter::ImportRootfs(*o->root, flags.file, oci::Platform{"linux", "amd64", ""}, now);
  if (!image) return Fail(image.error());
  if (Result<void> held = HoldImages(*o->root, *lease, {*image}); !held) return Fail(held.error());
  for (const oci::Reference& n : *names) {
    oci::Descriptor d = image->manifest;
    if (Result<void> r = o->store->Tag(n, d); !r) return Fail(r.error());
  }
  std::printf("%s\n", image->manifest.digest.ToString().c_str());
  return 0;
}

int RunPull(const ImageCommandFlags& flags) {
  if (flags.names.size() != 1) return Usage(MakeError(ErrorCode::kInvalidArgument, "pull NAME"));
  Result<std::vector<oci::Reference>> names = ParseNames(flags.names);
  if (!names) return Usage(names.error());
  oci::Platform platform{"linux", "amd64", ""};
  if (!flags.platform.empty()) {
    Result<oci::Platform> p = oci::ParsePlatform(flags.platform);
    if (!p) return Usage(p.error());
    platform = *p;
  }
  Result<Opened> o = Open(flags.root);
  if (!o) return Fail(o.error());
  Result<std::unique_ptr<oci::HttpClient>> http = oci::HttpClient::Create();
  if (!http) return Fail(http.error());
  Result<oci::RegistryOptions> access = RegistryAccess(flags.insecure_registries);
  if (!access) return Fail(access.error());
  oci::RegistryClient registry(**http, std::move(*access));
  Result<oci::Descriptor> pulled =
      exporter::PullImage(o->root->content(), *o->store, registry, (*names)[0], platform);
  if (!pulled) return Fail(pulled.error());
  std::printf("%s\n", pulled->digest.ToString().c_str());
  return 0;
}

int RunPush(const ImageCommandFlags& flags) {
  if (flags.names.size() != 1) return Usage(MakeError(ErrorCode::kInvalidArgument, "push NAME"));
  Result<std::vector<oci::Reference>> names = ParseNames(flags.names);
  if (!names) return Usage(names.error());
  const oci::Reference& name = (*names)[0];
  if (name.tag.empty())
    return Usage(
        MakeError(ErrorCode::kInvalidArgument, "push " + name.ToString() + ": needs a tag"));
  Result<Opened> o = Open(flags.root);
  if (!o) return Fail(o.error());
  Result<std::optional<exporter::StoredImage>> found = o->store->Find(name);
  if (!found) return Fail(found.error());
  if (!*found)
    return Fail(MakeError(ErrorCode::kNotFound, "no such image: " + name.FamiliarString()));
  Result<exporter::BuiltImage> image = LoadStored(*o->root, (*found)->manifest);
  if (!image) return Fail(image.error());
  Result<std::unique_ptr<oci::HttpClient>> http = oci::HttpClient::Create();
  if (!http) return Fail(http.error());
  Result<oci::RegistryOptions> access = RegistryAccess(flags.insecure_registries);
  if (!access) return Fail(access.error());
  oci::RegistryClient registry(**http, std::move(*access));
  Result<exporter::PushReport> pushed = exporter::PushImage(
      o->root->content(), registry, name, image->manifest_json, image->manifest.media_type,
      MountSources(o->root->content(), *o->store, name));
  if (!pushed) return Fail(pushed.error());
  std::printf("%s: %zu blobs uploaded (%llu bytes), %zu mounted, %zu already there\n%s\n",
              name.FamiliarString().c_str(), pushed->uploaded,
              static_cast<unsigned long long>(pushed->bytes), pushed->mounted, pushed->skipped,
              image->manifest.digest.ToString().c_str());
  return 0;
}

int RunLogin(const ImageCommandFlags& flags) {
  if (flags.names.size() != 1 || flags.username.empty()) {
    return Usage(MakeError(ErrorCode::kInvalidArgument, "login HOST -u USER [--password-stdin]"));
  }
  std::string password = flags.password;
  if (flags.password_stdin) {
    char buf[4096];
    const std::size_t n = std::fread(buf, 1, sizeof buf, stdin);
    password.assign(buf, n);
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
      password.pop_back();
  }
  if (password.empty())
    return Usage(
        MakeError(ErrorCode::kInvalidArgument, "login: no password (-p or --password-stdin)"));
  const std::string host =
      flags.names[0] == "https://index.docker.io/v1/" ? "docker.io" : flags.names[0];
  Result<std::unique_ptr<oci::HttpClient>> http = oci::HttpClient::Create();
  if (!http) return Fail(http.error());
  Result<oci::RegistryOptions> access = RegistryAccess(flags.insecure_registries);
  if (!access) return Fail(access.error());
  oci::RegistryOptions options = std::move(*access);
  const oci::Credentials candidate{flags.username, password};
  options.credentials = [candidate](const std::string&) -> Result<std::optional<oci::Credentials>> {
    return std::optional<oci::Credentials>(candidate);
  };
  oci::RegistryClient registry(**http, options);
  if (Result<void> r = registry.Ping(host); !r) return Fail(r.error());
  const oci::CredentialStore store = oci::CredentialStore::FromEnvironment();
  if (Result<void> r = store.Store(host, candidate); !r) return Fail(r.error());
  std::printf("Login Succeeded (%s)\n", store.path().c_str());
  return 0;
}

int RunLogout(const ImageCommandFlags& flags) {
  if (flags.names.size() != 1) return Usage(MakeError(ErrorCode::kInvalidArgument, "logout HOST"));
  const oci::CredentialStore store = oci::CredentialStore::FromEnvironment();
  Result<bool> erased = store.Erase(flags.names[0]);
  if (!erased) return Fail(erased.error());
  std::printf(*erased ? "Removed login credentials for %s\n" : "Not logged in to %s\n",
              flags.names[0].c_str());
  return 0;
}

}  // namespace bt::cli
