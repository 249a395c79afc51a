// Text from a build (step names, the output of RUN) made fit for one row of the live view.
// The view moves the cursor itself, so nothing in a row may move it: escape sequences and
// control characters are removed, and rows are cut to the terminal's width. Pure functions,
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bt::cli {

// Removes escape sequences (CSI, OSC, two-byte ESC) and control characters; tabs and
// newlines become spaces; a carriage return keeps only what was written after it (a progress
// bar shows its latest state); bytes that are not UTF-8 become U+FFFD.
std::string SanitizeForTerminal(std::string_view raw);

// Columns that sanitized text takes: one per code point, two from U+1100 on. That counts some
// narrow characters as wide, which only shortens a row; undercounting would wrap it and
// break the redraw.
std::size_t DisplayWidth(std::string_view sanitized);

// The longest prefix of sanitized text that fits in `columns`, cut between code points.
std::string TruncateToWidth(std::string_view sanitized, std::size_t columns);

}  // namespace bt::cli
