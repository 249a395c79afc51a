// Reading UTF-8 strictly (no overlong forms, surrogates or code points past U+10FFFF), for the
// two places where a step's raw output must become text: JSON strings and terminal rows.
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace bt::cli {

struct Utf8Char {
  char32_t code_point = 0;
  std::size_t length = 0;  // bytes taken from the input; 0 when they are not valid UTF-8
};

// Decodes the character at the start of `text` (which must not be empty).
Utf8Char DecodeUtf8(std::string_view text);

bool IsValidUtf8(std::string_view text);

}  // namespace bt::cli
