// A cache root in a temporary directory, and committed snapshots made in it from a few files:
// what exporter tests build layers, images and cache manifests from.
#pragma once

#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "cache/cache_root.h"

namespace bt::test {

struct SnapshotFixture {
  explicit SnapshotFixture(const char* prefix = "bt-snapshots-")
      : dir(*TempDir::Create("", prefix)), root(*cache::CacheRoot::Open(dir.path() + "/root")) {}
  TempDir dir;
  cache::CacheRoot root;

  // A committed snapshot on `parent` whose diff holds `files` (name -> content).
  std::string Snapshot(const std::optional<std::string>& parent,
                       const std::vector<std::pair<std::string, std::string>>& files) {
    const std::string id = *root.snapshots().Prepare(parent);
    for (const auto& [name, content] : files) {
      std::ofstream(root.snapshots().DiffPath(id) + "/" + name) << content;
    }
    REQUIRE(root.snapshots().Commit(id).has_value());
    REQUIRE(root.db()
                .Update([&](cache::WriteTxn& txn) {
                  cache::SnapshotRecord s;
                  s.id = id;
                  s.parent = parent;
                  s.kind = cache::SnapshotKind::kCommitted;
                  return txn.PutSnapshot(s);
                })
                .has_value());
    return id;
  }
};

}  // namespace bt::test
