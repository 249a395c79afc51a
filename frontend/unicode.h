// Text primitives with exactly the semantics of Go's unicode, unicode/utf8, strings and
// strconv packages, because BuildKit's parser and shell lexer are defined by them: UTF-8 is
// decoded rune by rune, an invalid byte decodes as U+FFFD of width 1, and character classes
// follow the Unicode tables (generated into unicode_tables.cc by unicode_tables.py).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bt::frontend::unicode {

inline constexpr char32_t kReplacementChar = 0xFFFD;

struct DecodedRune {
  char32_t rune;  // kReplacementChar for an invalid or truncated sequence
  int width;      // bytes consumed: 1..4; 1 for an invalid byte; 0 only for empty input
};

// Go utf8.DecodeRuneInString: rejects overlong forms, surrogates and runes > U+10FFFF.
DecodedRune DecodeRune(std::string_view s);
// Go utf8.DecodeLastRuneInString.
DecodedRune DecodeLastRune(std::string_view s);
// Appends the UTF-8 encoding of r (invalid runes encode as U+FFFD, like utf8.EncodeRune).
void AppendRune(std::string& out, char32_t r);

bool IsSpace(char32_t r);   // unicode.IsSpace
bool IsLetter(char32_t r);  // unicode.IsLetter (categories L*)
bool IsDigit(char32_t r);   // unicode.IsDigit (category Nd)
bool IsPrint(char32_t r);   // strconv.IsPrint: L, M, N, P, S and U+0020
char32_t ToLower(char32_t r);  // unicode.ToLower (simple case mapping)

std::string ToLower(std::string_view s);          // strings.ToLower
std::string_view TrimSpace(std::string_view s);   // strings.TrimSpace
std::string_view TrimLeftSpace(std::string_view s);   // strings.TrimLeftFunc(s, IsSpace)
std::string_view TrimRightSpace(std::string_view s);  // strings.TrimRightFunc(s, IsSpace)
// strconv.Quote: a double-quoted Go string literal for s.
std::string Quote(std::string_view s);

}  // namespace bt::frontend::unicode
