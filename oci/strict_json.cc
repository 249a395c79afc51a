#include "oci/strict_json.h"

#include <string>
#include <unordered_set>
#include <vector>

#include "oci/error_quote.h"

namespace bt::oci {

template <class JsonType>
Result<JsonType> ParseStrictJson(std::string_view text, std::string_view what) {
  // The keys seen in each object being parsed, innermost last.
  std::vector<std::unordered_set<std::string>> open;
  std::string duplicate;
  bool found = false;
  auto on_event = [&](int /*depth*/, typename JsonType::parse_event_t event, JsonType& parsed) {
    using Event = typename JsonType::parse_event_t;
    if (event == Event::object_start) {
      open.emplace_back();
    } else if (event == Event::object_end) {
      if (!open.empty()) open.pop_back();
    } else if (event == Event::key && !open.empty() && !found) {
      std::string key = parsed.template get<std::string>();
      if (!open.back().insert(key).second) {
        duplicate = std::move(key);
        found = true;
      }
    }
    return true;
  };
  JsonType j = JsonType::parse(text.begin(), text.end(), on_event, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(what) + ": not valid JSON");
  }
  if (found) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(what) + ": the key " + QuoteCapped(duplicate) +
                         " appears twice in one object");
  }
  return j;
}

template Result<nlohmann::json> ParseStrictJson<nlohmann::json>(std::string_view, std::string_view);
template Result<nlohmann::ordered_json> ParseStrictJson<nlohmann::ordered_json>(std::string_view,
                                                                                std::string_view);

}  // namespace bt::oci
