// The rawjson format: one JSON object per line, one line per event, for programs. Every line
// has "type"; digests are "sha256:<hex>", times RFC 3339 in UTC with nine fraction digits.
//   {"type":"vertex","vertex":D,"name":S,"inputs":[D...],"state":"started|cached|completed|
//    failed|canceled","time":T,"error":S}                  (error is "" unless failed)
//   {"type":"log","vertex":D,"stream":1|2,"data":S,"data_encoding":"utf-8|base64","time":T}
//   {"type":"status","vertex":D,"id":S,"current":N,"total":N,"done":B,"time":T}
//   {"type":"summary","executed":N,"cached":N,"failed":N,"canceled":N,"wall_time_ns":N,
//    "critical_time_ns":N,"critical_path":[{"vertex":D,"name":S,"duration_ns":N}...]}
// Log data is the step's raw output: valid UTF-8 travels as a JSON string, anything else as
// base64 of the exact bytes ("data_encoding" says which), so no byte is lost or altered. Other
// strings (names, errors) come from text we produced and are UTF-8; should one not be, its bad
// bytes become U+FFFD rather than making the line unprintable. Pure functions, thread-safe.
#pragma once

#include <string>

#include "cli/progress/build_summary.h"
#include "solver/progress.h"

namespace bt::cli {

// One line, ending in '\n'.
std::string ProgressEventJson(const solver::ProgressEvent& event);
std::string BuildSummaryJson(const BuildSummary& summary);

// "started", "cached", "completed", "failed", "canceled".
std::string VertexStateName(solver::VertexState state);

}  // namespace bt::cli
