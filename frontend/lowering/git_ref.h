// ADD's git sources: whether a source such as `https://github.com/moby/buildkit.git#v0.10.1:docs`
// or `git@github.com:moby/buildkit.git?ref=main` names a git repository, split into the remote
// that git clones and BuildKit's additions (`#ref:subdir`, `?ref=&subdir=&checksum=...`).
// BuildKit's dfgitutil.ParseGitRef (frontend/dockerfile/dfgitutil/git_ref.go) on top of
// gitutil.ParseURL (util/gitutil/git_url.go), including the parts of Go 1.26's net/url that
// decide the outcome. Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bt::frontend {

// gitutil.GitURLOpts: the `#ref:subdir` fragment. `subdir` is cleaned and relative
// ("#v1:/a/../b" gives "b"); subdirs from the query are not (see GitRef).
struct GitUrlFragment {
  std::string ref;
  std::string subdir;
};

// gitutil.GitURL.
struct GitUrl {
  std::string scheme;               // "http", "https", "ssh" or "git"; scp-like URLs are "ssh"
  std::optional<std::string> user;  // as url.Userinfo.String() prints it: "git", "foo:bar"
  std::string host;                 // host[:port], percent-decoded
  std::string path;                 // percent-decoded; scp-like paths as written
  // The decoded query, by key in sorted order; empty when there is none.
  std::map<std::string, std::vector<std::string>> query;
  std::optional<GitUrlFragment> fragment;  // nullopt when the fragment is empty or absent
  std::string remote;                      // the URL without query and fragment, for the git CLI
};

// gitutil.ParseURL: `scheme://...` for the schemes http, https, ssh and git (in any case), or
// scp-like `user@host:path`. Errors are kInvalidArgument: "unknown protocol" for anything
// else, "<scheme>: invalid protocol" for another scheme, and `parse "<url>": <why>` when Go's
// url.Parse rejects the URL.
Result<GitUrl> ParseGitUrl(std::string_view remote);

struct GitRef {
  std::string remote;      // as BuildKit's GitRef.Remote
  std::string short_name;  // the remote's last '/'-separated element without ".git"
  std::string ref;         // branch, tag or commit; empty: default branch
  std::string checksum;    // the commit the ref must resolve to (?checksum= or ?commit=)
  // From the fragment (cleaned, relative) or ?subdir= (as written, e.g. "/subdir").
  std::string subdir;
  // github.com/... without scheme: BuildKit then treats it as a local path.
  bool indistinguishable_from_local = false;
  bool unencrypted_tcp = false;  // http:// and git://
  std::optional<bool> keep_git_dir;
  std::optional<bool> submodules;
  std::string mtime;  // ?mtime=: "checkout" or "commit"; empty: BuildKit's default (checkout)
  bool fetch_by_commit = false;
};

// The three outcomes of ParseGitRef: not git (nullopt, no error), git, or git but invalid
// (BuildKit's `gitRefErr != nil && isGit`: an error the ADD must report).
struct GitRefParse {
  std::optional<GitRef> ref;
  std::optional<Error> error;
};

// dfgitutil.ParseGitRef. Not git: a `./` or `../` prefix, an unknown scheme, a URL Go cannot
// parse, and an http(s) URL whose decoded path does not end in ".git". `github.com/...` is git
// with indistinguishable_from_local set. The error (kInvalidArgument) comes from the query,
// with BuildKit's text: `unexpected query "x"`, `ref conflicts: "a" vs "b"`, ...
GitRefParse ParseGitRef(std::string_view source);

}  // namespace bt::frontend
