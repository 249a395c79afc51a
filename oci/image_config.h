// ImageConfig: the OCI image configuration (application/vnd.oci.image.config.v1+json, the
// same JSON as Docker's image config) as typed values. Parsed from base images, computed by
// the frontend for the image being built, serialized by the exporter. Plain value; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "oci/digest.h"
#include "oci/platform.h"

namespace bt::oci {

struct HealthConfig {
  // ["NONE"], ["CMD", args...], ["CMD-SHELL", command]; empty: inherit.
  std::vector<std::string> test;
  std::int64_t interval_ns = 0;  // 0: the default
  std::int64_t timeout_ns = 0;
  std::int64_t start_period_ns = 0;
  std::int64_t start_interval_ns = 0;
  int retries = 0;
  auto operator<=>(const HealthConfig&) const = default;
};

// The `config` object: how a container of the image runs.
struct ContainerConfig {
  std::string user;
  std::set<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::pair<std::string, std::string>> env;  // ordered; serialized as "K=V"
  std::optional<std::vector<std::string>> entrypoint;    // absent and [] differ in JSON
  std::optional<std::vector<std::string>> cmd;
  std::set<std::string> volumes;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  bool args_escaped = false;  // Docker's ArgsEscaped (Windows legacy), written when true
  std::optional<HealthConfig> healthcheck;
  std::vector<std::string> on_build;
  std::vector<std::string> shell;
  auto operator<=>(const ContainerConfig&) const = default;
};

struct HistoryEntry {
  std::string created;  // RFC 3339; empty when unknown
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
  auto operator<=>(const HistoryEntry&) const = default;
};

struct ImageConfig {
  std::string created;  // RFC 3339; empty when unknown
  std::string author;
  Platform platform;    // architecture, os, variant
  ContainerConfig config;
  std::vector<Digest> diff_ids;  // rootfs.diff_ids, base layer first
  std::vector<HistoryEntry> history;
  auto operator<=>(const ImageConfig&) const = default;
};

// The most an image config may weigh (SECURITY.md decision 7).
inline constexpr std::size_t kMaxConfigBytes = 16u << 20;

// Parses an image config (OCI or Docker). Unknown fields are ignored; a known field of the
// wrong type, an invalid digest or more than max_bytes of input is kInvalidArgument.
Result<ImageConfig> ParseImageConfig(std::string_view json, std::size_t max_bytes = 16u << 20);

// Deterministic JSON: top-level keys sorted as BuildKit's exporter writes them (it re-marshals
// through a map), struct order inside config, rootfs and history; maps sorted. The same
// config always gives the same bytes (and digest).
std::string SerializeImageConfig(const ImageConfig& config);

}  // namespace bt::oci
