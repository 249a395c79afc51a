#include "cli/output_spec.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "frontend/instructions/csv_fields.h"

namespace bt::cli {
namespace {

std::string TrimLower(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

Result<OutputSpec> ParseOutputSpec(std::string_view value) {
  BT_ASSIGN_OR_RETURN(const std::vector<std::string> fields, frontend::SplitCsvFields(value));
  OutputSpec out;
  if (fields.size() == 1 && fields[0] == value && value.rfind("type=", 0) != 0) {
    out.type = value == "-" ? "tar" : "local";
    out.destination = std::string(value);
    return out;
  }
  for (const std::string& field : fields) {
    const std::size_t eq = field.find('=');
    if (eq == std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid value " + field);
    }
    const std::string key = TrimLower(std::string_view(field).substr(0, eq));
    std::string v = field.substr(eq + 1);
    if (key == "type") {
      out.type = std::move(v);
    } else {
      out.attrs[key] = std::move(v);
    }
  }
  if (out.type.empty()) return MakeError(ErrorCode::kInvalidArgument, "type is required for output");
  if (out.type == "registry") {
    out.type = "image";
    out.attrs["push"] = "true";
  }
  if (auto it = out.attrs.find("dest"); it != out.attrs.end()) {
    out.destination = it->second;
    out.attrs.erase(it);
  }
  return out;
}

}  // namespace bt::cli
