#include "cli/progress/progress_json.h"

#include <nlohmann/json.hpp>

#include "cli/progress/base64.h"
#include "cli/progress/time_text.h"
#include "cli/progress/utf8.h"
#include "solver/ir_overloaded.h"

namespace bt::cli {
namespace {

using Json = nlohmann::ordered_json;  // fields in the documented order, for people reading

std::string Line(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json VertexJson(const solver::VertexEvent& e) {
  Json inputs = Json::array();
  for (const oci::Digest& input : e.inputs) inputs.push_back(input.ToString());
  return Json{{"type", "vertex"},  {"vertex", e.vertex.ToString()},
              {"name", e.name},    {"inputs", std::move(inputs)},
              {"state", VertexStateName(e.state)},
              {"time", FormatRfc3339Nano(e.time)},
              {"error", e.error}};
}

Json LogJson(const solver::LogEvent& e) {
  const bool text = IsValidUtf8(e.data);
  return Json{{"type", "log"},
              {"vertex", e.vertex.ToString()},
              {"stream", e.stream},
              {"data", text ? e.data : Base64Encode(e.data)},
              {"data_encoding", text ? "utf-8" : "base64"},
              {"time", FormatRfc3339Nano(e.time)}};
}

Json StatusJson(const solver::StatusEvent& e) {
  return Json{{"type", "status"},       {"vertex", e.vertex.ToString()},
              {"id", e.id},             {"current", e.current},
              {"total", e.total},       {"done", e.done},
              {"time", FormatRfc3339Nano(e.time)}};
}

}  // namespace

std::string VertexStateName(solver::VertexState state) {
  switch (state) {
    case solver::VertexState::kStarted: return "started";
    case solver::VertexState::kCached: return "cached";
    case solver::VertexState::kCompleted: return "completed";
    case solver::VertexState::kFailed: return "failed";
    case solver::VertexState::kCanceled: return "canceled";
  }
  return "started";
}

std::string ProgressEventJson(const solver::ProgressEvent& event) {
  return Line(std::visit(ir::Overloaded{
                             [](const solver::VertexEvent& e) { return VertexJson(e); },
                             [](const solver::LogEvent& e) { return LogJson(e); },
                             [](const solver::StatusEvent& e) { return StatusJson(e); },
                         },
                         event));
}

std::string BuildSummaryJson(const BuildSummary& summary) {
  Json path = Json::array();
  for (const CriticalStep& step : summary.critical_path) {
    path.push_back(Json{{"vertex", step.vertex.ToString()},
                        {"name", step.name},
                        {"duration_ns", step.duration.count()}});
  }
  return Line(Json{{"type", "summary"},
                   {"executed", summary.executed},
                   {"cached", summary.cached},
                   {"failed", summary.failed},
                   {"canceled", summary.canceled},
                   {"wall_time_ns", summary.wall_time.count()},
                   {"critical_time_ns", summary.critical_time.count()},
                   {"critical_path", std::move(path)}});
}

}  // namespace bt::cli
