// ApplyLayer: unpacks one OCI layer tarball (uncompressed, gzip or zstd) into a snapshot's
// diff/ directory in overlay form: an OCI whiteout `.wh.NAME` becomes a char device 0:0 named
// NAME, `.wh..wh..opq` sets trusted.overlay.opaque=y on its directory (ARCHITECTURE.md,
// "Snapshot"). Every path is resolved in-root in the merged view of the diff over its parent
// chain (SECURITY.md decision 1, cases 21-24), so `lib -> usr/lib` and `var/run -> /run` work
// and nothing lands outside the diff. Synchronous; one call owns its diff dir; calls on
// different diff dirs may run concurrently.
#pragma once

#include "cache/snapshot/layer_stream.h"

#include <cstdint>
#include <span>

#include "base/result.h"

namespace bt::cache {

// Whose uid/gid the unpacked files get.
enum class OwnershipPolicy {
  kFromArchive,  // the entry's uid/gid (needs CAP_CHOWN unless they are the caller's own)
  kCaller,       // leave the files owned by the calling process (rootless unpacking, tests)
};

struct ApplyOptions {
  OwnershipPolicy ownership = OwnershipPolicy::kFromArchive;
  // Limits of SECURITY.md decision 7; 0 means no limit. Exceeding one fails with
  // kInvalidArgument.
  uint64_t max_bytes = 0;    // total size of regular-file contents
  uint64_t max_entries = 0;  // tar entries, whiteouts included
};

struct ApplyStats {
  uint64_t entries = 0;         // tar entries read (ignored ones included)
  uint64_t bytes = 0;           // regular-file bytes written
  uint64_t whiteouts = 0;       // `.wh.NAME` entries turned into overlay whiteouts
  uint64_t opaque_dirs = 0;     // `.wh..wh..opq` entries
  uint64_t dropped_xattrs = 0;  // trusted.overlay.* from the archive (never applied) or
                                // names the filesystem does not support (ENOTSUP)
};

// Reads the layer from layer_fd (a file or a pipe, read to the end, not closed) and writes its
// changes into diff_dir_fd, which must be an empty directory. lower_dir_fds are the diff dirs
// of the parent chain, top first; they are only read. Entries named with `..` or an absolute
// path and hard links whose target is such a name are refused; symlinks are stored verbatim
// and followed in-root when later entries go through them; hard-link targets and parent
// directories are looked up in the diff, then the parents (and copied up into the diff with
// their metadata, as overlayfs would). Opaque markers need CAP_SYS_ADMIN (trusted.* xattrs),
// whiteouts CAP_MKNOD before Linux 5.8: without them the call fails with kPermissionDenied.
// Errors name the entry: kInvalidArgument (hostile or malformed layer, limit exceeded),
// kDataLoss (corrupt compressed stream or tar), kPermissionDenied, kFailedPrecondition (diff
// not empty), kIo. Caller's contract: on error the diff dir holds a partial result and must be
// discarded; apply into a temporary snapshot dir and rename it into place only on success.
Result<ApplyStats> ApplyLayer(int layer_fd, int diff_dir_fd, std::span<const int> lower_dir_fds,
                              const ApplyOptions& options);

// The same from a LayerStream, which decompresses and hashes what the tar reader consumes, so
// that the caller can check the layer's diffID afterwards (stream.Finish()).
Result<ApplyStats> ApplyLayerStream(LayerStream& stream, int diff_dir_fd,
                                    std::span<const int> lower_dir_fds, const ApplyOptions& options);

}  // namespace bt::cache
