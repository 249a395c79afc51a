// The few Go strconv parsers whose exact grammar decides whether a Dockerfile flag is valid
// (BuildKit reads --mount's ro/mode/uid and HEALTHCHECK --retries with them). Only what Go
// accepts is accepted: no whitespace, no base prefixes, no underscores. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace bt::frontend {

// strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False.
std::optional<bool> ParseGoBool(std::string_view s);

// strconv.ParseUint(s, base, bits) for base 2..36 (never 0): digits only, no sign; nullopt
// for an empty string, a bad digit or a value that needs more than `bits` bits.
std::optional<std::uint64_t> ParseGoUint(std::string_view s, int base, int bits);

// strconv.ParseFloat(s, 64): Go's float literal syntax (decimal with optional exponent,
// hexadecimal with a mandatory p exponent, `_` between digits, inf/infinity/nan in any case).
// nullopt for a syntax error or a finite literal too large for a double.
std::optional<double> ParseGoFloat(std::string_view s);

// strconv.ParseInt(s, 10, bits): an optional sign and decimal digits. Errors are
// kInvalidArgument with Go's text: `strconv.ParseInt: parsing "x": invalid syntax` or
// `... value out of range`.
Result<std::int64_t> ParseGoInt(std::string_view s, int bits);

}  // namespace bt::frontend
