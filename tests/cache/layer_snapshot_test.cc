// ApplyLayerAsSnapshot: a good layer becomes a committed snapshot on its parent; a hostile
// one leaves no snapshot behind.
#include "cache/snapshot/layer_snapshot.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"
#include "base/unique_fd.h"

namespace bt::cache {
namespace {

// A pax tarball with one regular file per (name, content) pair, written to `path`.
void WriteTar(const std::string& path,
              const std::vector<std::pair<std::string, std::string>>& files) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const auto& [name, content] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

TEST_CASE("a layer becomes a committed snapshot, and a hostile one leaves nothing",
          "[cache][layer_snapshot]") {
  TempDir dir = *TempDir::Create("", "bt-layer-snap-");
  SnapshotStore store = *SnapshotStore::Open(dir.path() + "/root");
  WriteTar(dir.path() + "/base.tar", {{"etc/base", "1"}});
  WriteTar(dir.path() + "/next.tar", {{"etc/next", "2"}});
  WriteTar(dir.path() + "/evil.tar", {{"ok", "x"}, {"../escape", "y"}});

  UniqueFd base_fd(::open((dir.path() + "/base.tar").c_str(), O_RDONLY | O_CLOEXEC));
  const Result<AppliedLayer> base = ApplyLayerAsSnapshot(store, std::nullopt, base_fd.get(), {});
  REQUIRE(base.has_value());
  CHECK(store.IsCommitted(base->snapshot_id));
  UniqueFd next_fd(::open((dir.path() + "/next.tar").c_str(), O_RDONLY | O_CLOEXEC));
  const Result<AppliedLayer> next =
      ApplyLayerAsSnapshot(store, base->snapshot_id, next_fd.get(), {});
  REQUIRE(next.has_value());
  CHECK(*store.Chain(next->snapshot_id) ==
        std::vector<std::string>{next->snapshot_id, base->snapshot_id});
  CHECK(::access((store.DiffPath(next->snapshot_id) + "/etc/next").c_str(), F_OK) == 0);

  UniqueFd evil_fd(::open((dir.path() + "/evil.tar").c_str(), O_RDONLY | O_CLOEXEC));
  const Result<AppliedLayer> evil = ApplyLayerAsSnapshot(store, std::nullopt, evil_fd.get(), {});
  REQUIRE_FALSE(evil.has_value());
  CHECK(evil.error().code == ErrorCode::kInvalidArgument);
  CHECK(store.List()->size() == 2);  // the failed snapshot is gone
  CHECK(::access((dir.path() + "/root/escape").c_str(), F_OK) != 0);
}

}  // namespace
}  // namespace bt::cache
