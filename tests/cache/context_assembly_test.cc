// Assembly of what the walk found (cache/context_assembly.h): one fixed node order, the
// first error in tree order whichever task met it first, and no empty directory that was
// entered only for what might be inside it.
#include "cache/context_assembly.h"

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace bt::cache {
namespace {

ScannedEntry File(const std::string& name) {
  ScannedEntry e;
  e.node.name = name;
  e.node.type = ContextNodeType::kRegular;
  e.node.checksum = Checksum128{name.size(), 1};
  e.present = true;
  return e;
}

ScannedEntry Dir(const std::string& name, std::vector<ScannedEntry> entries) {
  ScannedEntry e;
  e.node.name = name;
  e.node.type = ContextNodeType::kDirectory;
  e.present = true;
  e.dir = std::make_unique<ScannedDir>();
  e.dir->rel = name;
  e.dir->entries = std::move(entries);
  return e;
}

ScannedDir Top(std::vector<ScannedEntry> entries) {
  ScannedDir top;
  top.entries = std::move(entries);
  return top;
}

TEST_CASE("nodes come depth first, a directory before its children", "[cache][context_assembly]") {
  std::vector<ScannedEntry> a;
  a.push_back(File("x"));
  a.push_back(File("y"));
  std::vector<ScannedEntry> entries;
  entries.push_back(Dir("a", std::move(a)));
  entries.push_back(File("b"));
  ScannedDir top = Top(std::move(entries));
  Result<std::vector<ContextNode>> nodes = AssembleNodes(&top);
  REQUIRE(nodes.has_value());
  REQUIRE(nodes->size() == 5);
  std::vector<std::string> names;
  for (const ContextNode& n : *nodes) names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"", "a", "x", "y", "b"});
  CHECK((*nodes)[0].children == std::vector<uint32_t>{1, 4});
  CHECK((*nodes)[1].children == std::vector<uint32_t>{2, 3});
  CHECK_FALSE((*nodes)[1].checksum == Checksum128{});
}

TEST_CASE("the first error in tree order is reported, not the first one met",
          "[cache][context_assembly]") {
  std::vector<ScannedEntry> a;
  a.push_back(File("x"));
  a.back().error = std::make_unique<Error>(ErrnoError("open", "a/x", 13));
  std::vector<ScannedEntry> entries;
  entries.push_back(Dir("a", std::move(a)));
  entries.push_back(File("b"));
  entries.back().error = std::make_unique<Error>(ErrnoError("open", "b", 13));
  SECTION("an entry inside an earlier directory comes first") {
    ScannedDir top = Top(std::move(entries));
    Result<std::vector<ContextNode>> nodes = AssembleNodes(&top);
    REQUIRE_FALSE(nodes.has_value());
    CHECK(nodes.error().message.rfind("open a/x:", 0) == 0);
  }
  SECTION("a directory that could not be listed comes before its entries") {
    entries[0].dir->error = std::make_unique<Error>(ErrnoError("readdir", "a", 5));
    ScannedDir top = Top(std::move(entries));
    Result<std::vector<ContextNode>> nodes = AssembleNodes(&top);
    REQUIRE_FALSE(nodes.has_value());
    CHECK(nodes.error().message.rfind("readdir a:", 0) == 0);
  }
}

TEST_CASE("an excluded directory entered for exceptions exists only if something made it in",
          "[cache][context_assembly]") {
  std::vector<ScannedEntry> inner;
  inner.push_back(Dir("empty", {}));
  inner.back().dir->excluded = true;
  std::vector<ScannedEntry> entries;
  entries.push_back(Dir("out", std::move(inner)));
  entries.back().dir->excluded = true;
  entries.push_back(Dir("kept", {}));  // empty, but neither excluded nor left out
  ScannedDir top = Top(std::move(entries));
  Result<std::vector<ContextNode>> nodes = AssembleNodes(&top);
  REQUIRE(nodes.has_value());
  REQUIRE(nodes->size() == 2);
  CHECK((*nodes)[1].name == "kept");
  CHECK((*nodes)[0].children == std::vector<uint32_t>{1});
}

}  // namespace
}  // namespace bt::cache
