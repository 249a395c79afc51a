#include "executor/runtime/json_fields.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

namespace bt::executor::runtime {

using nlohmann::json;

Error FieldError(std::string_view path, std::string_view problem) {
  std::string message(path);
  message.append(": ").append(problem);
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Result<json> ParseStrictJson(std::string_view text, std::string_view what) {
  // One set of keys per open object; a key seen twice in the same object is refused.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const json::parser_callback_t track = [&](int /*depth*/, json::parse_event_t event,
                                            json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  json document;
  try {
    document = json::parse(text.begin(), text.end(), track);
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("parse ").append(what).append(": ").append(e.what()));
  }
  if (!duplicate.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("parse ")
                                                      .append(what)
                                                      .append(": key \"")
                                                      .append(duplicate)
                                                      .append("\" appears twice in one object"));
  }
  return document;
}

Result<JsonObject> JsonObject::Of(const json& value, std::string path) {
  if (!value.is_object()) return FieldError(path.empty() ? "config" : path, "must be an object");
  return JsonObject(&value, std::move(path));
}

std::string JsonObject::Path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  std::string p = path_;
  p.append(".").append(key);
  return p;
}

const json* JsonObject::Find(std::string_view key) {
  known_.emplace_back(key);
  const auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

void JsonObject::Ignore(std::string_view key) { known_.emplace_back(key); }

Result<void> JsonObject::Unimplemented(std::string_view key, std::string_view what) {
  const json* v = Find(key);
  if (v == nullptr) return {};
  const bool empty = (v->is_boolean() && !v->get<bool>()) || (v->is_number() && *v == 0) ||
                     (v->is_string() && v->get_ref<const std::string&>().empty()) ||
                     (v->is_array() && v->empty()) || (v->is_object() && v->empty());
  if (empty) return {};
  std::string problem = "not implemented by buildtool-runtime";
  if (!what.empty()) problem.append(" (").append(what).append(")");
  return FieldError(Path(key), problem);
}

Result<void> JsonObject::Finish() const {
  for (const auto& [key, value] : object_->items()) {
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
      return FieldError(Path(key), "unknown field, or not implemented by buildtool-runtime");
    }
  }
  return {};
}

std::string ItemPath(std::string_view path, std::size_t index) {
  std::string p(path);
  p.append("[").append(std::to_string(index)).append("]");
  return p;
}

Result<std::string> ReadString(const json& value, std::string_view path) {
  if (!value.is_string()) return FieldError(path, "must be a string");
  return value.get<std::string>();
}

Result<bool> ReadBool(const json& value, std::string_view path) {
  if (!value.is_boolean()) return FieldError(path, "must be true or false");
  return value.get<bool>();
}

Result<std::uint64_t> ReadUint64(const json& value, std::string_view path) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  }
  return FieldError(path, "must be a non-negative integer");
}

Result<std::uint32_t> ReadUint32(const json& value, std::string_view path) {
  BT_ASSIGN_OR_RETURN(const std::uint64_t v, ReadUint64(value, path));
  if (v > std::numeric_limits<std::uint32_t>::max()) return FieldError(path, "exceeds 2^32-1");
  return static_cast<std::uint32_t>(v);
}

Result<std::int64_t> ReadInt64(const json& value, std::string_view path) {
  if (value.is_number_unsigned()) {
    const std::uint64_t v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return FieldError(path, "exceeds 2^63-1");
    }
    return static_cast<std::int64_t>(v);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return FieldError(path, "must be an integer");
}

Result<int> ReadInt(const json& value, std::string_view path) {
  BT_ASSIGN_OR_RETURN(const std::int64_t v, ReadInt64(value, path));
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    return FieldError(path, "out of range");
  }
  return static_cast<int>(v);
}

Result<void> ExpectArray(const json& value, std::string_view path) {
  if (!value.is_array()) return FieldError(path, "must be an array");
  return {};
}

Result<std::vector<std::string>> ReadStringArray(const json& value, std::string_view path) {
  BT_TRY(ExpectArray(value, path));
  std::vector<std::string> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    BT_ASSIGN_OR_RETURN(std::string s, ReadString(value[i], ItemPath(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace bt::executor::runtime
