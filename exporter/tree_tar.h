// WriteTreeAsTar: a directory tree as a tar stream (TarWriter: as BuildKit and containerd write
// layers), for `--output type=tar` and for image layers. Entries come in a fixed order (a
// directory before its children, names sorted bytewise), so the same tree always gives the
// same bytes. Regular files, directories, symlinks (never followed), hard links (a second
// path to an inode already written becomes a link entry), character and block devices,
// FIFOs; mode with setuid/setgid/sticky, numeric uid/gid, mtime in whole seconds, and
// extended attributes. Every file is opened relative to its directory with O_NOFOLLOW.
// Sockets are skipped, as Go's archive/tar cannot write them either; trusted.overlay.*
// attributes are overlayfs's bookkeeping, never content, and are never written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "exporter/tar_writer.h"

namespace bt::exporter {

struct TreeTarOptions {
  // Write an overlay-form diff as an OCI layer: a whiteout (char device 0:0) becomes an empty
  // `.wh.NAME` file and an opaque directory (trusted.overlay.opaque=y) gains a `.wh..wh..opq`
  // entry.
  bool oci_whiteouts = false;
  // Timestamps later than this (seconds since the epoch) are clamped to it
  // (SOURCE_DATE_EPOCH, as BuildKit's rewrite-timestamp).
  std::optional<std::int64_t> clamp_mtime;
};

// Writes the tree rooted at `dir` (its contents; the root itself has no entry) to `fd` and
// ends the archive. kIo naming the path for a failed read or write.
Result<void> WriteTreeAsTar(const std::string& dir, int fd, const TreeTarOptions& options = {});

// The same into any sink (an image layer on its way to a compressor and two hashes); returns
// how many entries the archive holds (0: an empty layer).
Result<std::uint64_t> WriteTreeToTar(const std::string& dir, TarSink& sink,
                                     const TreeTarOptions& options = {});

}  // namespace bt::exporter
