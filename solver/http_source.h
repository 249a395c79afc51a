// The step that turns an ir::HttpSource (ADD <url>) into a snapshot holding one file, with
// BuildKit's rules (source/http/source.go): the name of http_file_name.h; mode 0600 unless
// the IR says otherwise; owner uid:gid; mtime from Last-Modified (http_time.h), else the
// epoch; the body as Go's transport hands it out, gzip content-encoding decoded. The body is
// streamed into the content store first, verified against the pinned checksum when there is
// one, and only then copied into a new snapshot, so a failed or mismatching download leaves
// neither a blob nor a snapshot behind. Thread-safe: independent steps may fetch at once.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.h"
#include "oci/http_client.h"
#include "solver/ir.h"
#include "solver/step_runner.h"

namespace bt::solver {

struct HttpSourceOptions {
  oci::HttpTimeouts timeouts;
  // Bytes a download may have; more fails the step. nullopt: bounded by the disk only.
  std::optional<std::uint64_t> max_bytes;
};

// Downloads `source` into a new committed snapshot (held by the build's lease) holding
// /<file name>; the output's `content` names what was fetched. Errors: the client's (kUnavailable, kInvalidArgument, ...), which name the
// URL; "invalid response status N" (code by oci::ErrorCodeForStatus) for a status outside
// 200..399, as BuildKit; kDataLoss "digest mismatch for <url>: <got> (expected: <want>)"
// when the pinned checksum differs; kCancelled once ctx.Stopping(); kIo from the stores.
Result<std::vector<StepOutput>> FetchHttpSource(const StepContext& ctx,
                                                const ir::HttpSource& source,
                                                oci::HttpClient& client,
                                                const HttpSourceOptions& options = {});

}  // namespace bt::solver
