// Strict reading of config.json: a JSON object is read field by field, every key a reader
// asks for is remembered, and Finish() names the first key nobody asked for, with its full
// path (`linux.resources.memory`). Scalars are read with range checks instead of nlohmann's
// throwing conversions, so nothing here throws. Duplicate keys are refused at parse time
// (nlohmann would keep the last one silently). Plain values; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::executor::runtime {

// Parses `text` as one JSON document. kInvalidArgument for malformed JSON or a key that
// appears twice in one object.
Result<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view what);

// kInvalidArgument "<path>: <problem>".
Error FieldError(std::string_view path, std::string_view problem);

class JsonObject {
 public:
  // kInvalidArgument when `value` is not an object.
  static Result<JsonObject> Of(const nlohmann::json& value, std::string path);

  // The value of `key`, or nullptr when the key is absent or null. Marks `key` as known.
  const nlohmann::json* Find(std::string_view key);
  // The full path of `key` ("process.user" for key "user" of object "process").
  std::string Path(std::string_view key) const;
  // Marks `key` as known and fails when it asks for something: any value other than null,
  // false, 0, "", [] or {}. `what` says what is not implemented.
  Result<void> Unimplemented(std::string_view key, std::string_view what);
  // Marks metadata keys (annotations) as known without reading them.
  void Ignore(std::string_view key);
  // kInvalidArgument naming the first key that was never asked for.
  Result<void> Finish() const;

 private:
  JsonObject(const nlohmann::json* object, std::string path)
      : object_(object), path_(std::move(path)) {}

  const nlohmann::json* object_;  // never null; the caller keeps the document alive
  std::string path_;              // "" for the document itself
  std::vector<std::string> known_;
};

Result<std::string> ReadString(const nlohmann::json& value, std::string_view path);
Result<bool> ReadBool(const nlohmann::json& value, std::string_view path);
Result<std::uint32_t> ReadUint32(const nlohmann::json& value, std::string_view path);
Result<std::uint64_t> ReadUint64(const nlohmann::json& value, std::string_view path);
Result<std::int64_t> ReadInt64(const nlohmann::json& value, std::string_view path);
Result<int> ReadInt(const nlohmann::json& value, std::string_view path);
Result<std::vector<std::string>> ReadStringArray(const nlohmann::json& value,
                                                 std::string_view path);
// kInvalidArgument unless `value` is an array.
Result<void> ExpectArray(const nlohmann::json& value, std::string_view path);
// "<path>[<index>]".
std::string ItemPath(std::string_view path, std::size_t index);

}  // namespace bt::executor::runtime
