// Access to ../shared/conformance (BT_SHARED_DIR): case folders and whole-file reads.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bt::test {

// BT_SHARED_DIR/conformance/<relative>.
std::filesystem::path ConformancePath(const std::string& relative);

// The sub-directories of dir, sorted by name; empty when dir does not exist.
std::vector<std::filesystem::path> CaseDirs(const std::filesystem::path& dir);

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> ReadFile(const std::filesystem::path& path);

}  // namespace bt::test
