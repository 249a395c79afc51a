// Options of executor/fileop: the choices where BuildKit's behaviour is not one thing. Plain
// values, filled by the solver per build.
#pragma once

namespace bt::executor {

// Which generation of BuildKit's --chown/--chmod quirks a copy reproduces. Everything else is
// the same in both.
enum class CopyCompat {
  // What ../shared/conformance was generated with (dockerd 20.10's BuildKit, dockerfile
  // frontend 1.5.2): a numeric --chmod replaces only the 0777 bits and keeps the source's
  // setuid/setgid/sticky (`--chmod=4711` gives 0711, case copy-chmod); the directories a copy
  // creates on the way are 0755 whatever --chmod says; entries unpacked from an ADDed archive
  // keep the archive's owners even with --chown (case add-tar-extract).
  kConformanceReference,
  // moby/buildkit at its current head (tonistiigi/fsutil copy_linux.go copyFileInfo and
  // copy.go MkdirAll; solver/llbsolver/file/unpack.go ChownOpts): a numeric --chmod sets
  // exactly the 07777 bits it names; directories a copy creates take its 0777 bits; --chown
  // applies to every unpacked entry (implied parent directories stay root's).
  kBuildKitHead,
};

// Who owns what a copy from a source tree creates when no --chown is given.
enum class SourceOwners {
  kAsStored,  // the source file's uid/gid (another stage, an image)
  kRoot,      // 0:0: BuildKit's local-source transfer stores the build context this way
              // (the conformance case copy-context-metadata: a 1234:5678 file copies as 0:0)
};

// What a --chown name that is in neither /etc/passwd nor /etc/group becomes.
enum class UnknownOwnerName {
  kRoot,   // BuildKit's readUser leaves the id at 0 (the conformance case chown-unknown-name)
  kError,  // kNotFound: "unable to find user NAME: no matching entries in passwd file"
};

struct FileActionOptions {
  CopyCompat compat = CopyCompat::kConformanceReference;
  UnknownOwnerName unknown_owner_name = UnknownOwnerName::kRoot;
};

}  // namespace bt::executor
