#include "cache/portable_context_digest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "cache/context_checksum.h"

namespace bt::cache {
namespace {

void AppendDigest(std::string* out, const oci::Digest& d) {
  out->append(reinterpret_cast<const char*>(d.bytes().data()), oci::Digest::kSize);
}

std::string Joined(const std::vector<std::string_view>& parts) {
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) out.push_back('/');
    out.append(p);
  }
  return out;
}

}  // namespace

PortableContextDigests::PortableContextDigests(const ContextTree& tree, std::string context_dir)
    : tree_(tree), context_dir_(std::move(context_dir)) {
  const std::vector<ContextNode>& nodes = tree_.nodes();
  parent_.assign(nodes.size(), 0);
  memo_.resize(nodes.size());
  for (std::uint32_t i = 0; i < nodes.size(); ++i) {
    for (std::uint32_t child : nodes[i].children) parent_[child] = i;
  }
}

std::vector<std::string_view> PortableContextDigests::PathOf(std::uint32_t index) const {
  std::vector<std::string_view> parts;
  for (std::uint32_t i = index; i != 0; i = parent_[i]) parts.push_back(tree_.nodes()[i].name);
  return {parts.rbegin(), parts.rend()};
}

Result<oci::Digest> PortableContextDigests::FileContentDigest(std::uint32_t index) {
  const ContextNode& node = tree_.nodes()[index];
  const std::vector<std::string_view> path = PathOf(index);
  const std::string rel = Joined(path);
  if (!root_.valid()) {
    root_ = UniqueFd(::open(context_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_.valid()) return ErrnoError("open build context", context_dir_, errno);
  }
  // Component by component, never through a symlink: the tree's own path of a regular file
  // has none, so anything else is a change since the scan.
  UniqueFd dir;
  int at = root_.get();
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    UniqueFd next(::openat(at, std::string(path[i]).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return ErrnoError("open build context directory", rel, errno);
    dir = std::move(next);
    at = dir.get();
  }
  UniqueFd file(::openat(at, std::string(path.back()).c_str(),
                         O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!file.valid()) return ErrnoError("open build context file", rel, errno);
  struct stat st;
  if (::fstat(file.get(), &st) != 0) return ErrnoError("stat build context file", rel, errno);
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != node.size) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "build context file " + rel + " changed during the build");
  }
  oci::Sha256Hasher hasher;
  std::string buf(1 << 20, '\0');
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(file.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read build context file", rel, errno);
    if (n == 0) break;
    hasher.Update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    total += static_cast<std::uint64_t>(n);
  }
  if (total != node.size) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "build context file " + rel + " changed during the build");
  }
  bytes_read_ += total;
  return hasher.Finish();
}

Result<oci::Digest> PortableContextDigests::NodeDigest(std::uint32_t index) {
  // Children before their directory, on an explicit stack: a context may nest directories
  // thousands deep.
  const std::vector<ContextNode>& nodes = tree_.nodes();
  std::vector<std::pair<std::uint32_t, bool>> stack = {{index, false}};  // node, children pushed
  while (!stack.empty()) {
    const auto [i, expanded] = stack.back();
    if (memo_[i]) {
      stack.pop_back();
      continue;
    }
    const ContextNode& node = nodes[i];
    if (node.type == ContextNodeType::kDirectory && !expanded) {
      stack.back().second = true;
      for (std::uint32_t child : node.children) {
        if (!memo_[child]) stack.emplace_back(child, false);
      }
      continue;
    }
    stack.pop_back();
    std::string buf;
    if (node.type == ContextNodeType::kDirectory) {
      // As DirChecksumBuilder: [header], u64 child count, per child u32 name length, name,
      // digest. The root's header is left out, as its checksum leaves it out.
      if (i != 0) AppendHeader(node, &buf);
      AppendU64(&buf, node.children.size());
      for (std::uint32_t child : node.children) {
        AppendU32(&buf, static_cast<std::uint32_t>(nodes[child].name.size()));
        buf.append(nodes[child].name);
        AppendDigest(&buf, *memo_[child]);
      }
    } else {
      // As LeafChecksum: the header, then for a regular file the digest of its content.
      AppendHeader(node, &buf);
      if (node.type == ContextNodeType::kRegular) {
        BT_ASSIGN_OR_RETURN(const oci::Digest content, FileContentDigest(i));
        AppendDigest(&buf, content);
      }
    }
    memo_[i] = oci::Digest::Of(buf);
  }
  return *memo_[index];
}

Result<oci::Digest> PortableContextDigests::DigestOf(std::string_view selector,
                                                     ContextTree::FinalSymlink final) {
  BT_ASSIGN_OR_RETURN(const ContextTree::Selected selected, tree_.Select(selector, final));
  return DigestOf(selected);
}

Result<oci::Digest> PortableContextDigests::DigestOf(const ContextTree::Selected& selected) {
  if (!selected.glob) return NodeDigest(selected.matches[0].second);
  // As ChecksumOf's glob encoding: 'G', then per match u32 path length, path, digest.
  std::string buf = "G";
  for (const auto& [path, index] : selected.matches) {
    BT_ASSIGN_OR_RETURN(const oci::Digest d, NodeDigest(index));
    AppendU32(&buf, static_cast<std::uint32_t>(path.size()));
    buf.append(path);
    AppendDigest(&buf, d);
  }
  return oci::Digest::Of(buf);
}

}  // namespace bt::cache
