// Byte counts for people, as BuildKit's progress shows them: tonistiigi/units' Bytes printed
// with "%.2f" (decimal units; under 1000 an integer count). Pure function, thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace bt::cli {

// 999 -> "999B", 1234 -> "1.23kB", 1200000 -> "1.20MB".
std::string FormatBytes(std::uint64_t bytes);

}  // namespace bt::cli
