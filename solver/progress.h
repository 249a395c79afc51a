// Progress events: what the solver tells the user interface while it builds (BuildKit's
// SolveStatus, flattened). The solver emits them from any of its threads; a ProgressSink
// (cli/ renders them as tty, plain, rawjson or nothing) must be thread-safe. Events about one
// vertex arrive in order: kStarted before its logs and statuses, then exactly one of
// kCompleted, kFailed or kCanceled; a cached vertex gets only kCached.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "oci/digest.h"

namespace bt::solver {

using EventTime = std::chrono::system_clock::time_point;

enum class VertexState {
  kStarted,    // running
  kCached,     // its result came from the cache; it never ran
  kCompleted,  // ran and succeeded
  kFailed,     // ran and failed; error says why
  kCanceled,   // stopped because another step failed or the build was interrupted
};

// A vertex (one step of the build) changed state.
struct VertexEvent {
  oci::Digest vertex;                // the IR vertex digest: the identity of the step
  std::string name;                  // for people: "[stage-1 2/3] COPY a /b"
  std::vector<oci::Digest> inputs;   // the vertices it depends on (for the critical path)
  VertexState state = VertexState::kStarted;
  EventTime time;
  std::string error;  // kFailed only: the message, already formatted for people
};

// Output a running vertex wrote (a RUN's stdout or stderr), as it came.
struct LogEvent {
  oci::Digest vertex;
  int stream = 1;  // 1 stdout, 2 stderr
  std::string data;
  EventTime time;
};

// Progress of a long part of a step ("transferring context", "copying", a download).
struct StatusEvent {
  oci::Digest vertex;
  std::string id;            // what is progressing; unique within the vertex
  std::uint64_t current = 0;
  std::uint64_t total = 0;   // 0 when unknown
  EventTime time;
  bool done = false;
};

using ProgressEvent = std::variant<VertexEvent, LogEvent, StatusEvent>;

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // Called from any solver thread; must not block for long (a slow terminal must not slow the
  // build) and must not call back into the solver.
  virtual void Emit(const ProgressEvent& event) = 0;
};

// A sink that drops everything (`--progress=quiet` still prints the result elsewhere).
class NullProgressSink final : public ProgressSink {
 public:
  void Emit(const ProgressEvent&) override {}
};

}  // namespace bt::solver
