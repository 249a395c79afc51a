// `--chown=user[:group]` and USER values as the IR's Chown: numbers are ids, anything else a
// name that the executor resolves against the image's /etc/passwd and /etc/group (llb's
// WithUser). Pure; thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "solver/ir.h"

namespace bt::frontend {

// nullopt for an empty spec.
std::optional<ir::Chown> ParseChown(std::string_view spec);

}  // namespace bt::frontend
