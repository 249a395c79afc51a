// The name ADD <url> gives the file it downloads, by BuildKit's getFileName
// (source/http/source.go) and pathutil.SafeFileName (source/util/pathutil/pathutil.go),
// including the Go library rules they lean on: mime.ParseMediaType for Content-Disposition
// (RFC 2231 encoded and continued parameters too), url.Parse for the URL's decoded path,
// path.Base, strings.TrimSpace and unicode.IsControl. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "oci/http_client.h"

namespace bt::solver {

// getFileName: `filename` when not empty, else the filename parameter of the answer's
// Content-Disposition unless it ends in '/', else the last element of the URL's decoded path
// unless that is "." or "/", each reduced by SafeFileName; "download" when none applies.
// The frontend always sets a filename for ADD ("__unnamed__" when the URL's path has none,
// dockerfile2llb convert_copy.go), so the answer only names files for other producers.
// The result can be "/" only for a `filename` of slashes, which BuildKit then fails to create.
std::string HttpSourceFileName(std::string_view url, std::string_view filename,
                               const oci::HttpHeaders* headers);

// SafeFileName: the base name of the trimmed text; "download" for an empty name, ".", "..",
// or one holding a NUL or a control character.
std::string SafeFileName(std::string_view name);

}  // namespace bt::solver
