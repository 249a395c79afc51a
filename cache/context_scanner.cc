#include "cache/context_scanner.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <xxhash.h>

#include "base/unique_fd.h"
#include "cache/path_glob.h"

namespace bt::cache {
namespace {

constexpr int kMaxSymlinkHops = 40;  // Linux's MAXSYMLINKS
constexpr size_t kReadBufferSize = 256 * 1024;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutChecksum(std::string* out, const Checksum128& c) {
  PutU64(out, c.high);
  PutU64(out, c.low);
}

Checksum128 Hash(std::string_view data) {
  const XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  return Checksum128{h.high64, h.low64};
}

// The type tag that starts every header; it also keeps a file's and a link's bytes apart.
char TypeTag(ContextNodeType t) {
  switch (t) {
    case ContextNodeType::kRegular: return 'F';
    case ContextNodeType::kDirectory: return 'D';
    case ContextNodeType::kSymlink: return 'L';
    case ContextNodeType::kCharDevice: return 'C';
    case ContextNodeType::kBlockDevice: return 'B';
    case ContextNodeType::kFifo: return 'P';
    case ContextNodeType::kSocket: return 'S';
  }
  return '?';
}

// Header encoding (little-endian): tag, u32 mode, u32 uid, u32 gid, u64 size, u32 major,
// u32 minor, u32 target length, target bytes. No timestamps: touching a file must not
// change its checksum.
void AppendHeader(const ContextNode& n, std::string* out) {
  out->push_back(TypeTag(n.type));
  PutU32(out, n.mode);
  PutU32(out, n.uid);
  PutU32(out, n.gid);
  PutU64(out, n.size);
  PutU32(out, n.rdev_major);
  PutU32(out, n.rdev_minor);
  PutU32(out, static_cast<uint32_t>(n.link_target.size()));
  out->append(n.link_target);
}

bool TypeOf(mode_t mode, ContextNodeType* type) {
  switch (mode & S_IFMT) {
    case S_IFREG: *type = ContextNodeType::kRegular; return true;
    case S_IFDIR: *type = ContextNodeType::kDirectory; return true;
    case S_IFLNK: *type = ContextNodeType::kSymlink; return true;
    case S_IFCHR: *type = ContextNodeType::kCharDevice; return true;
    case S_IFBLK: *type = ContextNodeType::kBlockDevice; return true;
    case S_IFIFO: *type = ContextNodeType::kFifo; return true;
    case S_IFSOCK: *type = ContextNodeType::kSocket; return true;
    default: return false;
  }
}

std::string Join(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

// The entry names of the directory open at `fd`, sorted bytewise, without "." and "..".
Result<std::vector<std::pair<std::string, unsigned char>>> ReadNames(int fd,
                                                                     const std::string& rel) {
  const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return ErrnoError("dup", rel.empty() ? "." : rel, errno);
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(dup));
  if (!dir) {
    const int err = errno;
    UniqueFd owner(dup);
    return ErrnoError("opendir", rel.empty() ? "." : rel, err);
  }
  std::vector<std::pair<std::string, unsigned char>> names;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(dir.get());
    if (e == nullptr) {
      if (errno != 0) return ErrnoError("readdir", rel.empty() ? "." : rel, errno);
      break;
    }
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(std::string(name), e->d_type);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> ReadLinkAt(int dir_fd, const std::string& name, const std::string& rel,
                               size_t size_hint) {
  std::string buf(std::max<size_t>(size_hint + 1, 64), '\0');
  for (;;) {
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return ErrnoError("readlink", rel, errno);
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}

}  // namespace

// One scan: a depth-first walk that appends nodes to the tree, a directory before its
// children, and fills each directory's checksum once its children are done.
class ContextScanner::Walk {
 public:
  Walk(const ContextScanOptions& options, ScanStats* stats, ContextTree* tree)
      : options_(options),
        stats_(stats),
        nodes_(&tree->nodes_),
        state_(XXH3_createState(), &XXH3_freeState),
        buffer_(kReadBufferSize) {}

  Result<void> Run(int root_fd) {
    if (!state_) return MakeError(ErrorCode::kInternal, "allocate the xxhash state");
    nodes_->emplace_back();
    (*nodes_)[0].type = ContextNodeType::kDirectory;
    const bool all_included = options_.includes == nullptr || options_.includes->everything();
    BT_TRY(ScanDir(root_fd, "", 0, /*excluded=*/false, all_included));
    // The root's own header is left out (see ContextTree::ChecksumOf).
    (*nodes_)[0].checksum = DirChecksum(0, /*with_header=*/false);
    return {};
  }

 private:
  // `dir_included`: everything below this directory is included (no include check needed).
  Result<void> ScanDir(int fd, const std::string& rel, uint32_t index, bool dir_excluded,
                       bool dir_included) {
    BT_ASSIGN_OR_RETURN(auto names, ReadNames(fd, rel));
    const PathPatterns* excludes = options_.excludes;
    const IncludePatterns* includes = options_.includes;
    for (const auto& [name, d_type] : names) {
      const std::string child_rel = Join(rel, name);
      bool excluded = dir_excluded;
      if (excludes != nullptr) excluded = excludes->Excluded(child_rel);
      const bool included = dir_included || includes->Included(child_rel);
      // Left-out entries cost no stat when the directory entry already says what they are.
      const bool left_out = excluded || !included;
      if (left_out && d_type != DT_DIR && d_type != DT_UNKNOWN) continue;
      if (excluded && d_type == DT_DIR && !excludes->MayMatchInside(child_rel)) continue;
      if (!included && d_type == DT_DIR && !includes->MayMatchInside(child_rel)) continue;
      struct stat st;
      ++stats_->entries_stated;
      if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // deleted since readdir
        return ErrnoError("stat", child_rel, errno);
      }
      if (excluded && (!S_ISDIR(st.st_mode) || !excludes->MayMatchInside(child_rel))) continue;
      if (!included && (!S_ISDIR(st.st_mode) || !includes->MayMatchInside(child_rel))) continue;
      ContextNode node;
      if (!TypeOf(st.st_mode, &node.type)) continue;  // no such file type on Linux
      node.name = name;
      node.mode = static_cast<uint32_t>(st.st_mode & 07777);
      node.uid = st.st_uid;
      node.gid = st.st_gid;
      if (node.type == ContextNodeType::kCharDevice || node.type == ContextNodeType::kBlockDevice) {
        node.rdev_major = major(st.st_rdev);
        node.rdev_minor = minor(st.st_rdev);
      }
      if (node.type == ContextNodeType::kDirectory) {
        BT_TRY(ScanSubdir(fd, name, child_rel, st, std::move(node), index, excluded, included));
        continue;
      }
      if (node.type == ContextNodeType::kSymlink) {
        BT_ASSIGN_OR_RETURN(node.link_target,
                            ReadLinkAt(fd, name, child_rel, static_cast<size_t>(st.st_size)));
      }
      if (node.type == ContextNodeType::kRegular) node.size = static_cast<uint64_t>(st.st_size);
      std::string buf;
      AppendHeader(node, &buf);
      if (node.type == ContextNodeType::kRegular) {
        BT_ASSIGN_OR_RETURN(const std::optional<Checksum128> content,
                            ContentChecksum(fd, name, child_rel, st));
        if (!content) continue;  // deleted since the stat
        PutChecksum(&buf, *content);
      }
      node.checksum = Hash(buf);
      const auto child = static_cast<uint32_t>(nodes_->size());
      nodes_->push_back(std::move(node));
      (*nodes_)[index].children.push_back(child);
    }
    return {};
  }

  Result<void> ScanSubdir(int parent_fd, const std::string& name, const std::string& rel,
                          const struct stat& st, ContextNode node, uint32_t parent,
                          bool excluded, bool included) {
    UniqueFd fd(::openat(parent_fd, name.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) {
      if (errno == ENOENT) return {};
      return ErrnoError("open", rel, errno);
    }
    struct stat opened;
    if (::fstat(fd.get(), &opened) != 0) return ErrnoError("stat", rel, errno);
    if (opened.st_dev != st.st_dev || opened.st_ino != st.st_ino) {
      return ErrnoError("open", rel, EAGAIN).Wrap("the directory was replaced during the scan");
    }
    const auto index = static_cast<uint32_t>(nodes_->size());
    nodes_->push_back(std::move(node));
    BT_TRY(ScanDir(fd.get(), rel, index, excluded, included));
    // An excluded directory entered for its exceptions, or one not included entered for the
    // includes that may match inside, exists only if something inside it made it in (fsutil
    // reports such parents lazily).
    if ((excluded || !included) && (*nodes_)[index].children.empty()) {
      nodes_->resize(index);
      return {};
    }
    (*nodes_)[index].checksum = DirChecksum(index, /*with_header=*/true);
    (*nodes_)[parent].children.push_back(index);
    return {};
  }

  // Directory encoding: [header], u64 child count, then per child (by name): u32 name
  // length, name, checksum (high, low).
  Checksum128 DirChecksum(uint32_t index, bool with_header) const {
    const ContextNode& dir = (*nodes_)[index];
    std::string buf;
    if (with_header) AppendHeader(dir, &buf);
    PutU64(&buf, dir.children.size());
    for (const uint32_t c : dir.children) {
      const ContextNode& child = (*nodes_)[c];
      PutU32(&buf, static_cast<uint32_t>(child.name.size()));
      buf.append(child.name);
      PutChecksum(&buf, child.checksum);
    }
    return Hash(buf);
  }

  // The XXH3-128 of a regular file's bytes, from the stat cache when its identity is
  // unchanged; nullopt when the file vanished after the stat.
  Result<std::optional<Checksum128>> ContentChecksum(int dir_fd, const std::string& name,
                                                     const std::string& rel,
                                                     const struct stat& st) {
    const StatIdentity id = StatIdentity::Of(st);
    if (options_.stat_cache != nullptr) {
      if (std::optional<Checksum128> hit = options_.stat_cache->Lookup(rel, id)) {
        ++stats_->cache_hits;
        return hit;
      }
    }
    // O_NONBLOCK: if the file was swapped for a FIFO, the open must not hang.
    UniqueFd fd(::openat(dir_fd, name.c_str(),
                         O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd.valid()) {
      if (errno == ENOENT) return std::optional<Checksum128>();
      return ErrnoError("open", rel, errno);
    }
    ++stats_->files_opened;
    struct stat opened;
    if (::fstat(fd.get(), &opened) != 0) return ErrnoError("stat", rel, errno);
    if (!S_ISREG(opened.st_mode) || opened.st_ino != st.st_ino || opened.st_dev != st.st_dev) {
      return ErrnoError("open", rel, EAGAIN).Wrap("the file was replaced during the scan");
    }
    XXH3_128bits_reset(state_.get());
    for (;;) {
      const ssize_t n = ::read(fd.get(), buffer_.data(), buffer_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError("read", rel, errno);
      if (n == 0) break;
      XXH3_128bits_update(state_.get(), buffer_.data(), static_cast<size_t>(n));
      stats_->bytes_read += static_cast<uint64_t>(n);
    }
    const XXH128_hash_t h = XXH3_128bits_digest(state_.get());
    const Checksum128 sum{h.high64, h.low64};
    // Cache the checksum only if the file did not change while it was read.
    struct stat after;
    if (options_.stat_cache != nullptr && ::fstat(fd.get(), &after) == 0 &&
        StatIdentity::Of(after) == id) {
      options_.stat_cache->Insert(rel, id, sum);
    }
    return std::optional<Checksum128>(sum);
  }

  const ContextScanOptions& options_;
  ScanStats* stats_;
  std::vector<ContextNode>* nodes_;
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state_;
  std::vector<char> buffer_;
};

ContextScanner::ContextScanner(ContextScanOptions options) : options_(options) {}

Result<ContextTree> ContextScanner::Scan(std::string_view context_dir) {
  stats_ = ScanStats{};
  const std::string dir(context_dir);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return ErrnoError("open build context", dir, errno);
  ContextTree tree;
  Walk walk(options_, &stats_, &tree);
  BT_TRY(walk.Run(fd.get()));
  return tree;
}

const ContextNode* ContextTree::Find(std::string_view path) const {
  const std::string clean = CleanSlashPath(path);
  if (clean == "." || clean == "/") return &nodes_[0];
  uint32_t cur = 0;
  std::string_view rest = clean;
  if (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view comp = rest.substr(0, slash);
    rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    const std::vector<uint32_t>& kids = nodes_[cur].children;
    auto it = std::lower_bound(kids.begin(), kids.end(), comp, [&](uint32_t i, std::string_view n) {
      return std::string_view(nodes_[i].name) < n;
    });
    if (it == kids.end() || nodes_[*it].name != comp) return nullptr;
    cur = *it;
  }
  return &nodes_[cur];
}

Result<uint32_t> ContextTree::Resolve(std::string_view path, FinalSymlink final) const {
  std::string p = CleanSlashPath("/" + std::string(path));
  for (int hops = 0;; ++hops) {
    if (hops > kMaxSymlinkHops) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "resolve " + std::string(path) + ": too many levels of symbolic links");
    }
    uint32_t cur = 0;
    std::string walked;  // the resolved path of `cur`, "" for the root
    std::string_view rest = std::string_view(p).substr(1);
    bool restarted = false;
    while (!rest.empty()) {
      const size_t slash = rest.find('/');
      const std::string_view comp = rest.substr(0, slash);
      rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
      const ContextNode* child = Find(walked + "/" + std::string(comp));
      if (child == nullptr) {
        return MakeError(ErrorCode::kNotFound,
                         "checksum " + std::string(path) + ": no such file in the build context");
      }
      if (child->type == ContextNodeType::kSymlink &&
          (!rest.empty() || final == FinalSymlink::kFollow)) {
        const std::string& target = child->link_target;
        const std::string base = !target.empty() && target[0] == '/' ? "" : walked;
        p = CleanSlashPath("/" + base + "/" + target + (rest.empty() ? "" : "/") +
                           std::string(rest));
        restarted = true;
        break;
      }
      walked += "/" + std::string(comp);
      cur = static_cast<uint32_t>(child - nodes_.data());
    }
    if (!restarted) return cur;
  }
}

Result<Checksum128> ContextTree::ChecksumOf(std::string_view selector, FinalSymlink final) const {
  if (selector.find_first_of("*?[\\") == std::string_view::npos) {
    BT_ASSIGN_OR_RETURN(const uint32_t index, Resolve(selector, final));
    return nodes_[index].checksum;
  }
  std::string pattern = CleanSlashPath(selector);
  if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
  BT_ASSIGN_OR_RETURN(const PathGlob glob, PathGlob::Compile(pattern));
  // Glob encoding: 'G', then per match in tree order: u32 path length, path, checksum.
  std::string buf = "G";
  size_t matches = 0;
  std::vector<std::pair<uint32_t, std::string>> stack = {{0, ""}};
  while (!stack.empty()) {
    auto [index, path] = std::move(stack.back());
    stack.pop_back();
    if (index != 0 && glob.Matches(path)) {
      ++matches;
      PutU32(&buf, static_cast<uint32_t>(path.size()));
      buf.append(path);
      uint32_t content = index;
      if (final == FinalSymlink::kFollow && nodes_[index].type == ContextNodeType::kSymlink) {
        BT_ASSIGN_OR_RETURN(content, Resolve(path, final));
      }
      PutChecksum(&buf, nodes_[content].checksum);
    }
    const std::vector<uint32_t>& kids = nodes_[index].children;
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
      stack.emplace_back(*it, Join(path, nodes_[*it].name));
    }
  }
  if (matches == 0) {
    return MakeError(ErrorCode::kNotFound,
                     "checksum " + std::string(selector) + ": no file in the build context matches");
  }
  return Hash(buf);
}

}  // namespace bt::cache
