#include "frontend/instructions/csv_fields.h"

namespace bt::frontend {
namespace {

Error CsvError(std::size_t column0, std::string_view what) {
  return MakeError(
      ErrorCode::kInvalidArgument,
      "parse error on line 1, column " + std::to_string(column0 + 1) + ": " + std::string(what));
}

constexpr std::string_view kBareQuote = "bare \" in non-quoted-field";
constexpr std::string_view kQuote = "extraneous or missing \" in quoted-field";

}  // namespace

Result<std::vector<std::string>> SplitCsvFields(std::string_view line) {
  if (!line.empty() && line.back() == '\n') {
    line.remove_suffix(line.size() > 1 && line[line.size() - 2] == '\r' ? 2 : 1);
  }
  if (line.empty()) return MakeError(ErrorCode::kInvalidArgument, "EOF");

  std::vector<std::string> fields;
  std::size_t pos = 0;  // byte offset of `line` in the original text, for error columns
  while (true) {
    if (line.empty() || line.front() != '"') {
      const std::size_t comma = line.find(',');
      const std::string_view field = line.substr(0, comma);
      if (const std::size_t quote = field.find('"'); quote != std::string_view::npos) {
        return CsvError(pos + quote, kBareQuote);
      }
      fields.emplace_back(field);
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
      pos += comma + 1;
      continue;
    }
    // A quoted field: runs to a quote followed by a comma or the end; "" is a quote.
    line.remove_prefix(1);
    pos += 1;
    fields.emplace_back();
    while (true) {
      const std::size_t quote = line.find('"');
      if (quote == std::string_view::npos) return CsvError(pos, kQuote);
      fields.back().append(line.substr(0, quote));
      line.remove_prefix(quote + 1);
      pos += quote + 1;
      if (line.empty()) return fields;
      if (line.front() == '"') {
        fields.back().push_back('"');
        line.remove_prefix(1);
        pos += 1;
        continue;
      }
      if (line.front() == ',') {
        line.remove_prefix(1);
        pos += 1;
        break;
      }
      return CsvError(pos - 1, kQuote);
    }
  }
  return fields;
}

}  // namespace bt::frontend
