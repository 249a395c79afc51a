#include "solver/ir_encoding.h"
#include "solver/ir_overloaded.h"

#include <cstddef>
#include <limits>
#include <string_view>
#include <utility>
#include <variant>

namespace bt::ir {
namespace {

// Appends the primitives of the format (ir_encoding.h) to one string.
class Writer {
 public:
  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) U8(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void U64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) U8(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  // C++20 fixes signed integers as two's complement, so these casts are the documented bytes.
  void I32(std::int32_t v) { U32(static_cast<std::uint32_t>(v)); }
  void I64(std::int64_t v) { U64(static_cast<std::uint64_t>(v)); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  void Count(std::size_t n) {
    BT_CHECK(n <= std::numeric_limits<std::uint32_t>::max());  // a 4 GiB field is a bug
    U32(static_cast<std::uint32_t>(n));
  }
  void String(std::string_view s) {
    Count(s.size());
    out_.append(s);
  }
  void Digest(const oci::Digest& d) {
    for (std::uint8_t b : d.bytes()) U8(b);
  }
  void Raw(std::string_view s) { out_.append(s); }

  // Struct fields and variant alternatives: one u8 each.
  Writer& Tag(std::uint8_t tag) {
    U8(tag);
    return *this;
  }

  std::string Take() && { return std::move(out_); }

 private:
  std::string out_;
};

template <typename T, typename F>
void List(Writer& w, const std::vector<T>& items, F encode_one) {
  w.Count(items.size());
  for (const T& item : items) encode_one(item);
}

void StringList(Writer& w, const std::vector<std::string>& items) {
  List(w, items, [&](const std::string& s) { w.String(s); });
}

template <typename T, typename F>
void Optional(Writer& w, const std::optional<T>& value, F encode_value) {
  if (!value.has_value()) {
    w.U8(0);
    return;
  }
  w.U8(1);
  encode_value(*value);
}

// ---- Enums: each value written out, independent of declaration order ----

[[noreturn]] void InvalidEnum(const char* type) { CheckFailed(type, __FILE__, __LINE__); }

std::uint8_t EnumValue(ResolveMode m) {
  switch (m) {
    case ResolveMode::kDefault:
      return 0;
    case ResolveMode::kForcePull:
      return 1;
    case ResolveMode::kPreferLocal:
      return 2;
  }
  InvalidEnum("a valid ResolveMode");
}

std::uint8_t EnumValue(NetMode m) {
  switch (m) {
    case NetMode::kSandbox:
      return 0;
    case NetMode::kHost:
      return 1;
    case NetMode::kNone:
      return 2;
  }
  InvalidEnum("a valid NetMode");
}

std::uint8_t EnumValue(SecurityMode m) {
  switch (m) {
    case SecurityMode::kSandbox:
      return 0;
    case SecurityMode::kInsecure:
      return 1;
  }
  InvalidEnum("a valid SecurityMode");
}

std::uint8_t EnumValue(CacheSharing s) {
  switch (s) {
    case CacheSharing::kShared:
      return 0;
    case CacheSharing::kPrivate:
      return 1;
    case CacheSharing::kLocked:
      return 2;
  }
  InvalidEnum("a valid CacheSharing");
}

// ---- Shared structs ----

void Encode(Writer& w, const oci::Platform& p) {
  w.Tag(1).String(p.os);
  w.Tag(2).String(p.architecture);
  w.Tag(3).String(p.variant);
}

void Encode(Writer& w, const UserSpec& u) {
  std::visit(Overloaded{
                 [&](std::uint32_t id) { w.Tag(1).U32(id); },
                 [&](const std::string& name) { w.Tag(2).String(name); },
             },
             u);
}

void Encode(Writer& w, const std::optional<Chown>& owner) {
  Optional(w, owner, [&](const Chown& c) {
    Encode(w.Tag(1), c.user);
    Optional(w.Tag(2), c.group, [&](const UserSpec& g) { Encode(w, g); });
  });
}

void Encode(Writer& w, const std::optional<std::int64_t>& timestamp) {
  Optional(w, timestamp, [&](std::int64_t t) { w.I64(t); });
}

void KeyValues(Writer& w, const std::vector<std::pair<std::string, std::string>>& pairs) {
  List(w, pairs, [&](const std::pair<std::string, std::string>& kv) {
    w.Tag(1).String(kv.first);
    w.Tag(2).String(kv.second);
  });
}

// ---- SourceOp ----

void Encode(Writer& w, const SourceOp& op) {
  w.Tag(1);
  std::visit(Overloaded{
                 [&](const ImageSource& s) {
                   w.Tag(1);
                   w.Tag(1).String(s.reference);
                   w.Tag(2).Digest(s.manifest_digest);
                   Encode(w.Tag(3), s.platform);
                   w.Tag(4).U8(EnumValue(s.resolve_mode));
                 },
                 [&](const LocalSource& s) {
                   w.Tag(2);
                   w.Tag(1).String(s.name);
                   StringList(w.Tag(2), s.include_patterns);
                   StringList(w.Tag(3), s.exclude_patterns);
                   StringList(w.Tag(4), s.follow_paths);
                 },
                 [&](const HttpSource& s) {
                   w.Tag(3);
                   w.Tag(1).String(s.url);
                   w.Tag(2).Digest(s.checksum);
                   w.Tag(3).String(s.filename);
                   w.Tag(4).U32(s.mode);
                   w.Tag(5).U32(s.uid);
                   w.Tag(6).U32(s.gid);
                 },
                 [&](const GitSource& s) {
                   w.Tag(4);
                   w.Tag(1).String(s.remote);
                   w.Tag(2).String(s.ref);
                   w.Tag(3).String(s.subdir);
                   w.Tag(4).Bool(s.keep_git_dir);
                   w.Tag(5).String(s.checksum);
                 },
             },
             op.source);
}

// ---- ExecOp ----

void Encode(Writer& w, const Mount& m) {
  w.Tag(1).String(m.dest);
  w.Tag(2);
  std::visit(Overloaded{
                 [&](const BindMount& b) {
                   w.Tag(1);
                   w.Tag(1).I32(b.source);
                   w.Tag(2).String(b.selector);
                   w.Tag(3).Bool(b.readonly);
                 },
                 [&](const CacheMount& c) {
                   w.Tag(2);
                   w.Tag(1).String(c.id);
                   w.Tag(2).U8(EnumValue(c.sharing));
                   w.Tag(3).I32(c.source);
                   w.Tag(4).String(c.selector);
                   w.Tag(5).Bool(c.readonly);
                   w.Tag(6).U32(c.mode);
                   w.Tag(7).U32(c.uid);
                   w.Tag(8).U32(c.gid);
                 },
                 [&](const TmpfsMount& t) {
                   w.Tag(3);
                   w.Tag(1).U64(t.size_bytes);
                 },
                 [&](const SecretMount& s) {
                   w.Tag(4);
                   w.Tag(1).String(s.id);
                   w.Tag(2).U32(s.mode);
                   w.Tag(3).U32(s.uid);
                   w.Tag(4).U32(s.gid);
                   w.Tag(5).Bool(s.required);
                 },
                 [&](const SshMount& s) {
                   w.Tag(5);
                   w.Tag(1).String(s.id);
                   w.Tag(2).U32(s.mode);
                   w.Tag(3).U32(s.uid);
                   w.Tag(4).U32(s.gid);
                   w.Tag(5).Bool(s.required);
                 },
             },
             m.kind);
  Optional(w.Tag(3), m.output, [&](std::uint32_t o) { w.U32(o); });
}

// proxy_env is encoded like every other field: this is identity. The cache key leaves it
// out (solver/ops/), so that changing HTTP_PROXY does not invalidate cached RUN steps.
void Encode(Writer& w, const ExecOp& op) {
  StringList(w.Tag(1), op.args);
  KeyValues(w.Tag(2), op.env);
  w.Tag(3).String(op.cwd);
  w.Tag(4).String(op.user);
  w.Tag(5).String(op.hostname);
  List(w.Tag(6), op.extra_hosts, [&](const ExtraHost& h) {
    w.Tag(1).String(h.host);
    w.Tag(2).String(h.ip);
  });
  KeyValues(w.Tag(7), op.proxy_env);
  List(w.Tag(8), op.mounts, [&](const Mount& m) { Encode(w, m); });
  w.Tag(9).U8(EnumValue(op.network));
  w.Tag(10).U8(EnumValue(op.security));
  List(w.Tag(11), op.secret_env, [&](const SecretEnv& s) {
    w.Tag(1).String(s.id);
    w.Tag(2).String(s.name);
    w.Tag(3).Bool(s.required);
  });
}

// ---- FileOp ----

void Encode(Writer& w, const CopyAction& a) {
  w.Tag(1).I32(a.source);
  w.Tag(2).String(a.src);
  w.Tag(3).String(a.dest);
  Encode(w.Tag(4), a.owner);
  Optional(w.Tag(5), a.mode, [&](std::uint32_t m) { w.U32(m); });
  w.Tag(6).String(a.mode_expression);
  w.Tag(7).Bool(a.follow_symlinks);
  w.Tag(8).Bool(a.copy_dir_contents);
  w.Tag(9).Bool(a.unpack_archive);
  w.Tag(10).Bool(a.create_dest_path);
  w.Tag(11).Bool(a.allow_wildcard);
  w.Tag(12).Bool(a.allow_empty_wildcard);
  w.Tag(13).Bool(a.always_replace_existing);
  w.Tag(14).Bool(a.parents);
  StringList(w.Tag(15), a.include_patterns);
  StringList(w.Tag(16), a.exclude_patterns);
  Encode(w.Tag(17), a.timestamp);
}

void Encode(Writer& w, const FileAction& action) {
  std::visit(Overloaded{
                 [&](const CopyAction& a) { Encode(w.Tag(1), a); },
                 [&](const MkdirAction& a) {
                   w.Tag(2);
                   w.Tag(1).String(a.path);
                   w.Tag(2).U32(a.mode);
                   w.Tag(3).Bool(a.make_parents);
                   Encode(w.Tag(4), a.owner);
                   Encode(w.Tag(5), a.timestamp);
                 },
                 [&](const MkfileAction& a) {
                   w.Tag(3);
                   w.Tag(1).String(a.path);
                   w.Tag(2).U32(a.mode);
                   w.Tag(3).String(a.data);
                   Encode(w.Tag(4), a.owner);
                   Encode(w.Tag(5), a.timestamp);
                 },
                 [&](const RmAction& a) {
                   w.Tag(4);
                   w.Tag(1).String(a.path);
                   w.Tag(2).Bool(a.allow_not_found);
                   w.Tag(3).Bool(a.allow_wildcard);
                 },
                 [&](const SymlinkAction& a) {
                   w.Tag(5);
                   w.Tag(1).String(a.target);
                   w.Tag(2).String(a.linkpath);
                   Encode(w.Tag(3), a.owner);
                   Encode(w.Tag(4), a.timestamp);
                 },
             },
             action);
}

void Encode(Writer& w, const FileOp& op) {
  w.Tag(1).I32(op.base);
  List(w.Tag(2), op.actions, [&](const FileAction& a) { Encode(w, a); });
}

// ---- Op ----

void EncodeBody(Writer& w, const Op& op) {
  std::visit(Overloaded{
                 [&](const SourceOp& s) { Encode(w.Tag(1), s); },
                 [&](const ExecOp& e) { Encode(w.Tag(2), e); },
                 [&](const FileOp& f) { Encode(w.Tag(3), f); },
                 [&](const MergeOp&) { w.Tag(4); },
                 [&](const DiffOp& d) {
                   w.Tag(5);
                   w.Tag(1).I32(d.lower);
                   w.Tag(2).I32(d.upper);
                 },
             },
             op.body);
}

}  // namespace

std::string EncodeOp(const Op& op, const Graph& graph) {
  Writer w;
  w.Raw("btir");
  w.U32(kEncodingVersion);
  List(w.Tag(1), op.inputs, [&](const Edge& e) {
    BT_CHECK(e.vertex < graph.size());
    // The input's digest, not its id: ids depend on the order vertices were added.
    w.Tag(1).Digest(graph.digest(e.vertex));
    w.Tag(2).U32(e.output);
  });
  EncodeBody(w.Tag(2), op);
  Encode(w.Tag(3), op.platform);
  return std::move(w).Take();
}

oci::Digest DigestOp(const Op& op, const Graph& graph) {
  return oci::Digest::Of(EncodeOp(op, graph));
}

}  // namespace bt::ir
