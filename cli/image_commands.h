// The local image store's commands (issue 7): images, tag, rmi, inspect, save, load, import.
// Each opens the cache root (--root, as build), works on <root>/images, prints to stdout, and
// returns the exit code: 0 done, 1 failed (the error on stderr), 2 bad usage (a bad name).
#pragma once

#include <string>
#include <vector>

namespace bt::cli {

struct ImageCommandFlags {
  std::string root;                // --root
  std::vector<std::string> names;  // positional image names
  std::string file;                // save -o / load -i / import's tarball
  std::string format = "oci";      // save --format oci|docker
  bool quiet = false;              // images -q: digests only
  std::vector<std::string> insecure_registries;  // pull --insecure-registry
  std::string platform;            // pull --platform (default: linux/amd64)
  std::string username;            // login -u
  std::string password;            // login -p
  bool password_stdin = false;     // login --password-stdin
};

int RunImages(const ImageCommandFlags& flags);
int RunTag(const ImageCommandFlags& flags);      // names[0] source, names[1] target
int RunRmi(const ImageCommandFlags& flags);      // every name
int RunInspect(const ImageCommandFlags& flags);  // names[0]: {"Name", "Digest", "Manifest", "Config"}
int RunSave(const ImageCommandFlags& flags);     // names -> file (oci or docker archive)
int RunLoad(const ImageCommandFlags& flags);     // file -> the store, under the archive's names
int RunImport(const ImageCommandFlags& flags);   // file (a rootfs tar) -> names[0]
int RunPull(const ImageCommandFlags& flags);     // names[0] from its registry into the store
int RunPush(const ImageCommandFlags& flags);     // names[0] from the store to its registry
int RunLogin(const ImageCommandFlags& flags);    // names[0]: the registry host
int RunLogout(const ImageCommandFlags& flags);

}  // namespace bt::cli
