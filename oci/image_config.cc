#include "oci/image_config.h"

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "oci/error_quote.h"
#include "oci/strict_json.h"

// The JSON shapes are those of Go's ocispec.Image (image-spec specs-go/v1/config.go) and
// dockerspec.DockerOCIImage (moby/docker-image-spec specs-go/v1/image.go), which BuildKit's
// frontend marshals and its exporter patches (exporter/containerimage/writer.go,
// patchImageConfig). Parsing follows Go's encoding/json: unknown keys are ignored, null for a
// field leaves it unset, a key matches its field exactly or else case-insensitively.
namespace bt::oci {
namespace {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------------------
// Parsing

Error BadConfig(std::string_view where, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "parse image config: " + std::string(where) + ": " + std::string(why));
}

Error WrongType(std::string_view where, std::string_view want, const Json& got) {
  return BadConfig(where, "want " + std::string(want) + ", got " + got.type_name());
}

std::string Quote(std::string_view text) { return QuoteCapped(text); }

std::string Join(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

std::string Index(std::string_view parent, std::size_t i) {
  return std::string(parent) + "[" + std::to_string(i) + "]";
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The value of key in obj (an object), or nullptr when it is absent or null. Like Go, an exact
// key wins over one that differs only in case.
const Json* Field(const Json& obj, std::string_view key) {
  const Json* found = nullptr;
  if (auto it = obj.find(key); it != obj.end()) {
    found = &*it;
  } else {
    for (auto it2 = obj.begin(); it2 != obj.end(); ++it2) {
      if (EqualsIgnoringAsciiCase(it2.key(), key)) {
        found = &*it2;
        break;
      }
    }
  }
  return found != nullptr && !found->is_null() ? found : nullptr;
}

bool IsDigits(std::string_view s, std::size_t pos, std::size_t n, int& value) {
  value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

// Go's time.Time.UnmarshalJSON (RFC 3339, "2006-01-02T15:04:05.999999999Z07:00") accepts
// exactly this; an image whose dates Go cannot read could not be built on by BuildKit either.
bool IsRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || !IsDigits(s, 0, 4, year) || s[4] != '-' || !IsDigits(s, 5, 2, month) ||
      s[7] != '-' || !IsDigits(s, 8, 2, day) || s[10] != 'T' || !IsDigits(s, 11, 2, hour) ||
      s[13] != ':' || !IsDigits(s, 14, 2, minute) || s[16] != ':' || !IsDigits(s, 17, 2, second)) {
    return false;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] ||
      (month == 2 && day == 29 && !leap) || hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  std::size_t i = 19;
  if (i + 1 < s.size() && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    }
  }
  const std::string_view zone = s.substr(i);
  if (zone == "Z") return true;
  int zh, zm;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && IsDigits(zone, 1, 2, zh) &&
         zone[3] == ':' && IsDigits(zone, 4, 2, zm) && zh <= 23 && zm <= 59;
}

Result<void> ReadString(const Json& obj, std::string_view key, std::string_view parent,
                        std::string& out) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return {};
  if (!v->is_string()) return WrongType(Join(parent, key), "a string", *v);
  out = v->get<std::string>();
  return {};
}

Result<void> ReadTime(const Json& obj, std::string_view key, std::string_view parent,
                      std::string& out) {
  BT_TRY(ReadString(obj, key, parent, out));
  if (!out.empty() && !IsRfc3339(out)) {
    return BadConfig(Join(parent, key), "want an RFC 3339 date, got " + Quote(out));
  }
  return {};
}

Result<void> ReadBool(const Json& obj, std::string_view key, std::string_view parent, bool& out) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return {};
  if (!v->is_boolean()) return WrongType(Join(parent, key), "a boolean", *v);
  out = v->get<bool>();
  return {};
}

// An integer in [lo, hi]; Go rejects 1.5 and 1e3 for integer fields, and so does this.
Result<void> ReadInteger(const Json& obj, std::string_view key, std::string_view parent,
                         std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return {};
  const std::string where = Join(parent, key);
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(hi)) return BadConfig(where, "integer out of range");
    out = static_cast<std::int64_t>(u);
    return {};
  }
  if (!v->is_number_integer()) return WrongType(where, "an integer", *v);
  const auto i = v->get<std::int64_t>();
  if (i < lo || i > hi) return BadConfig(where, "integer out of range");
  out = i;
  return {};
}

Result<void> ReadDuration(const Json& obj, std::string_view key, std::string_view parent,
                          std::int64_t& out) {
  return ReadInteger(obj, key, parent, std::numeric_limits<std::int64_t>::min(),
                     std::numeric_limits<std::int64_t>::max(), out);
}

// nullopt for an absent or null array, so that callers can tell it from [].
Result<std::optional<std::vector<std::string>>> ReadStringArray(const Json& obj,
                                                                std::string_view key,
                                                                std::string_view parent) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return std::optional<std::vector<std::string>>();
  const std::string where = Join(parent, key);
  if (!v->is_array()) return WrongType(where, "an array of strings", *v);
  std::vector<std::string> out;
  out.reserve(v->size());
  for (std::size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    if (!e.is_string()) return WrongType(Index(where, i), "a string", e);
    out.push_back(e.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<void> ReadStringList(const Json& obj, std::string_view key, std::string_view parent,
                            std::vector<std::string>& out) {
  BT_ASSIGN_OR_RETURN(auto list, ReadStringArray(obj, key, parent));
  if (list.has_value()) out = std::move(*list);
  return {};
}

// Go's map[string]struct{}: {"80/tcp": {}}. Values must be objects (their content is ignored).
Result<void> ReadStringSet(const Json& obj, std::string_view key, std::string_view parent,
                           std::set<std::string>& out) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return {};
  const std::string where = Join(parent, key);
  if (!v->is_object()) return WrongType(where, "an object", *v);
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it->is_object() && !it->is_null()) {
      return WrongType(where + "[" + Quote(it.key()) + "]", "an object", *it);
    }
    out.insert(it.key());
  }
  return {};
}

Result<void> ReadStringMap(const Json& obj, std::string_view key, std::string_view parent,
                           std::map<std::string, std::string>& out) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return {};
  const std::string where = Join(parent, key);
  if (!v->is_object()) return WrongType(where, "an object", *v);
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (it->is_null()) {
      out[it.key()];  // Go stores the zero value
    } else if (!it->is_string()) {
      return WrongType(where + "[" + Quote(it.key()) + "]", "a string", *it);
    } else {
      out[it.key()] = it->get<std::string>();
    }
  }
  return {};
}

// nullptr for an absent or null object; an error for anything else that is not an object.
Result<const Json*> ReadObject(const Json& obj, std::string_view key, std::string_view parent) {
  const Json* v = Field(obj, key);
  if (v != nullptr && !v->is_object()) return WrongType(Join(parent, key), "an object", *v);
  return v;
}

Result<HealthConfig> ParseHealthcheck(const Json& j) {
  constexpr std::string_view kWhere = "config.Healthcheck";
  HealthConfig h;
  BT_TRY(ReadStringList(j, "Test", kWhere, h.test));
  BT_TRY(ReadDuration(j, "Interval", kWhere, h.interval_ns));
  BT_TRY(ReadDuration(j, "Timeout", kWhere, h.timeout_ns));
  BT_TRY(ReadDuration(j, "StartPeriod", kWhere, h.start_period_ns));
  BT_TRY(ReadDuration(j, "StartInterval", kWhere, h.start_interval_ns));
  std::int64_t retries = 0;
  BT_TRY(ReadInteger(j, "Retries", kWhere, std::numeric_limits<int>::min(),
                     std::numeric_limits<int>::max(), retries));
  h.retries = static_cast<int>(retries);
  return h;
}

// An entry without '=' is a variable with an empty value: that is how BuildKit reads a base
// image's Env (dockerfile2llb convert.go parseKeyValue, shell.EnvsFromSlice). BuildKit copies
// such an entry into the new image verbatim, while SerializeImageConfig writes "K=".
std::pair<std::string, std::string> SplitEnv(const std::string& entry) {
  const std::size_t eq = entry.find('=');
  if (eq == std::string::npos) return {entry, ""};
  return {entry.substr(0, eq), entry.substr(eq + 1)};
}

Result<ContainerConfig> ParseContainerConfig(const Json& j) {
  constexpr std::string_view kWhere = "config";
  ContainerConfig c;
  BT_TRY(ReadString(j, "User", kWhere, c.user));
  BT_TRY(ReadStringSet(j, "ExposedPorts", kWhere, c.exposed_ports));
  BT_ASSIGN_OR_RETURN(auto env, ReadStringArray(j, "Env", kWhere));
  if (env.has_value()) {
    for (const std::string& entry : *env) c.env.push_back(SplitEnv(entry));
  }
  BT_ASSIGN_OR_RETURN(c.entrypoint, ReadStringArray(j, "Entrypoint", kWhere));
  BT_ASSIGN_OR_RETURN(c.cmd, ReadStringArray(j, "Cmd", kWhere));
  BT_TRY(ReadStringSet(j, "Volumes", kWhere, c.volumes));
  BT_TRY(ReadString(j, "WorkingDir", kWhere, c.working_dir));
  BT_TRY(ReadStringMap(j, "Labels", kWhere, c.labels));
  BT_TRY(ReadString(j, "StopSignal", kWhere, c.stop_signal));
  BT_TRY(ReadBool(j, "ArgsEscaped", kWhere, c.args_escaped));
  BT_ASSIGN_OR_RETURN(const Json* health, ReadObject(j, "Healthcheck", kWhere));
  if (health != nullptr) {
    BT_ASSIGN_OR_RETURN(c.healthcheck, ParseHealthcheck(*health));
  }
  BT_TRY(ReadStringList(j, "OnBuild", kWhere, c.on_build));
  BT_TRY(ReadStringList(j, "Shell", kWhere, c.shell));
  return c;
}

Result<std::vector<Digest>> ParseDiffIds(const Json& rootfs) {
  BT_ASSIGN_OR_RETURN(auto ids, ReadStringArray(rootfs, "diff_ids", "rootfs"));
  std::vector<Digest> out;
  if (!ids.has_value()) return out;
  for (std::size_t i = 0; i < ids->size(); ++i) {
    auto digest = Digest::Parse((*ids)[i]);
    if (!digest.has_value()) return BadConfig(Index("rootfs.diff_ids", i), digest.error().message);
    out.push_back(*digest);
  }
  return out;
}

Result<std::vector<HistoryEntry>> ParseHistory(const Json& top) {
  std::vector<HistoryEntry> out;
  const Json* v = Field(top, "history");
  if (v == nullptr) return out;
  if (!v->is_array()) return WrongType("history", "an array", *v);
  for (std::size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    const std::string where = Index("history", i);
    HistoryEntry h;
    if (!e.is_null()) {  // Go leaves a null element as a zero History
      if (!e.is_object()) return WrongType(where, "an object", e);
      BT_TRY(ReadTime(e, "created", where, h.created));
      BT_TRY(ReadString(e, "created_by", where, h.created_by));
      BT_TRY(ReadString(e, "author", where, h.author));
      BT_TRY(ReadString(e, "comment", where, h.comment));
      BT_TRY(ReadBool(e, "empty_layer", where, h.empty_layer));
    }
    out.push_back(std::move(h));
  }
  return out;
}

Result<ImageConfig> ParseTop(const Json& top) {
  ImageConfig img;
  BT_TRY(ReadTime(top, "created", "", img.created));
  BT_TRY(ReadString(top, "author", "", img.author));
  BT_TRY(ReadString(top, "architecture", "", img.platform.architecture));
  BT_TRY(ReadString(top, "os", "", img.platform.os));
  BT_TRY(ReadString(top, "variant", "", img.platform.variant));
  BT_ASSIGN_OR_RETURN(const Json* config, ReadObject(top, "config", ""));
  if (config != nullptr) {
    BT_ASSIGN_OR_RETURN(img.config, ParseContainerConfig(*config));
  }
  BT_ASSIGN_OR_RETURN(const Json* rootfs, ReadObject(top, "rootfs", ""));
  if (rootfs != nullptr) {
    std::string type;  // always "layers"; checked for its type only, as Go does
    BT_TRY(ReadString(*rootfs, "type", "rootfs", type));
    BT_ASSIGN_OR_RETURN(img.diff_ids, ParseDiffIds(*rootfs));
  }
  BT_ASSIGN_OR_RETURN(img.history, ParseHistory(top));
  return img;
}

// ---------------------------------------------------------------------------------------
// Serialization, byte for byte as Go's encoding/json writes it.

// Go's encodeState.string with HTML escaping on (json.Marshal's default): '<', '>', '&',
// U+2028 and U+2029 become \u escapes, control characters use \n \r \t \b \f or \u00XX,
// and each byte of invalid UTF-8 becomes \ufffd.
void AppendString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      switch (b) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (b < 0x20 || b == '<' || b == '>' || b == '&') {
            out += "\\u00";
            out += kHex[b >> 4];
            out += kHex[b & 0xf];
          } else {
            out += static_cast<char>(b);
          }
      }
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence the way Go's utf8.DecodeRuneInString validates it.
    std::size_t len = 0;
    char32_t rune = 0;
    char32_t min = 0;
    if ((b & 0xe0) == 0xc0) {
      len = 2, rune = b & 0x1f, min = 0x80;
    } else if ((b & 0xf0) == 0xe0) {
      len = 3, rune = b & 0x0f, min = 0x800;
    } else if ((b & 0xf8) == 0xf0) {
      len = 4, rune = b & 0x07, min = 0x10000;
    }
    bool valid = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      valid = (c & 0xc0) == 0x80;
      rune = rune << 6 | (c & 0x3f);
    }
    valid = valid && rune >= min && rune <= 0x10ffff && !(rune >= 0xd800 && rune <= 0xdfff);
    if (!valid) {
      out += "\\ufffd";
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      out += rune == 0x2028 ? "\\u2028" : "\\u2029";
      i += len;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += '"';
}

// Writes one JSON object; the caller decides which keys to write (omitempty) and in what order.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  std::string& Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendString(out_, key);
    out_ += ':';
    return out_;
  }
  void String(std::string_view key, std::string_view value) { AppendString(Key(key), value); }
  void Integer(std::string_view key, std::int64_t value) { Key(key) += std::to_string(value); }
  void Bool(std::string_view key, bool value) { Key(key) += value ? "true" : "false"; }
  void StringArray(std::string_view key, const std::vector<std::string>& values) {
    std::string& out = Key(key);
    out += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      AppendString(out, values[i]);
    }
    out += ']';
  }
  void EmptyObjectSet(std::string_view key, const std::set<std::string>& values) {
    ObjectWriter set(Key(key));
    for (const std::string& v : values) set.Key(v) += "{}";
  }

 private:
  std::string& out_;
  bool first_ = true;
};

void WriteHealthcheck(std::string& out, const HealthConfig& h) {
  ObjectWriter w(out);
  if (!h.test.empty()) w.StringArray("Test", h.test);
  if (h.interval_ns != 0) w.Integer("Interval", h.interval_ns);
  if (h.timeout_ns != 0) w.Integer("Timeout", h.timeout_ns);
  if (h.start_period_ns != 0) w.Integer("StartPeriod", h.start_period_ns);
  if (h.start_interval_ns != 0) w.Integer("StartInterval", h.start_interval_ns);
  if (h.retries != 0) w.Integer("Retries", h.retries);
}

// DockerOCIImageConfig: ocispec.ImageConfig's fields, then DockerOCIImageConfigExt's, every
// one omitempty. Entrypoint and Cmd are the exception: a set but empty list is written as []
// (Go would omit it), so a frontend that wants BuildKit's bytes leaves them unset instead.
void WriteContainerConfig(std::string& out, const ContainerConfig& c) {
  ObjectWriter w(out);
  if (!c.user.empty()) w.String("User", c.user);
  if (!c.exposed_ports.empty()) w.EmptyObjectSet("ExposedPorts", c.exposed_ports);
  if (!c.env.empty()) {
    std::vector<std::string> env;
    env.reserve(c.env.size());
    for (const auto& [k, v] : c.env) env.push_back(k + "=" + v);
    w.StringArray("Env", env);
  }
  if (c.entrypoint.has_value()) w.StringArray("Entrypoint", *c.entrypoint);
  if (c.cmd.has_value()) w.StringArray("Cmd", *c.cmd);
  if (!c.volumes.empty()) w.EmptyObjectSet("Volumes", c.volumes);
  if (!c.working_dir.empty()) w.String("WorkingDir", c.working_dir);
  if (!c.labels.empty()) {
    ObjectWriter labels(w.Key("Labels"));
    for (const auto& [k, v] : c.labels) labels.String(k, v);
  }
  if (!c.stop_signal.empty()) w.String("StopSignal", c.stop_signal);
  if (c.args_escaped) w.Bool("ArgsEscaped", true);
  if (c.healthcheck.has_value()) WriteHealthcheck(w.Key("Healthcheck"), *c.healthcheck);
  if (!c.on_build.empty()) w.StringArray("OnBuild", c.on_build);
  if (!c.shell.empty()) w.StringArray("Shell", c.shell);
}

void WriteHistoryEntry(std::string& out, const HistoryEntry& h) {
  ObjectWriter w(out);
  if (!h.created.empty()) w.String("created", h.created);
  if (!h.created_by.empty()) w.String("created_by", h.created_by);
  if (!h.author.empty()) w.String("author", h.author);
  if (!h.comment.empty()) w.String("comment", h.comment);
  if (h.empty_layer) w.Bool("empty_layer", true);
}

}  // namespace

Result<ImageConfig> ParseImageConfig(std::string_view json, std::size_t max_bytes) {
  if (json.size() > max_bytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "parse image config: " + std::to_string(json.size()) +
                         " bytes is more than the limit of " + std::to_string(max_bytes));
  }
  BT_ASSIGN_OR_RETURN(const Json top, ParseStrictJson<Json>(json, "parse image config"));
  if (!top.is_object()) return WrongType("the document", "an object", top);
  return ParseTop(top);
}

// The top level's keys are sorted: BuildKit's exporter re-marshals the frontend's config
// through a map[string]json.RawMessage (patchImageConfig), and Go writes map keys in byte
// order. rootfs and config are always present, as are architecture and os (no omitempty);
// diff_ids is [] rather than Go's null when there are no layers, because the OCI spec makes
// it an array. Inside config, rootfs and history entries the struct order holds.
std::string SerializeImageConfig(const ImageConfig& config) {
  std::string out;
  {  // the writer closes the object when it goes out of scope
    ObjectWriter top(out);
    top.String("architecture", config.platform.architecture);
    if (!config.author.empty()) top.String("author", config.author);
    WriteContainerConfig(top.Key("config"), config.config);
    if (!config.created.empty()) top.String("created", config.created);
    if (!config.history.empty()) {
      std::string& h = top.Key("history");
      h += '[';
      for (std::size_t i = 0; i < config.history.size(); ++i) {
        if (i > 0) h += ',';
        WriteHistoryEntry(h, config.history[i]);
      }
      h += ']';
    }
    top.String("os", config.platform.os);
    {
      ObjectWriter rootfs(top.Key("rootfs"));
      rootfs.String("type", "layers");
      std::string& ids = rootfs.Key("diff_ids");
      ids += '[';
      for (std::size_t i = 0; i < config.diff_ids.size(); ++i) {
        if (i > 0) ids += ',';
        AppendString(ids, config.diff_ids[i].ToString());
      }
      ids += ']';
    }
    if (!config.platform.variant.empty()) top.String("variant", config.platform.variant);
  }
  return out;
}

}  // namespace bt::oci
