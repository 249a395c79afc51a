// PathTable (cache/path_table.h): every indexed path is found at its position, and nothing
// else is found, whatever the probes collide on.
#include "cache/path_table.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace bt::cache {
namespace {

TEST_CASE("a path table finds each path at its position and nothing else",
          "[cache][path_table]") {
  CHECK_FALSE(PathTable().Find("a"));
  CHECK_FALSE(PathTable(std::vector<std::string_view>()).Find(""));

  std::vector<std::string> paths;
  for (int i = 0; i < 5000; ++i) {
    paths.push_back("d" + std::to_string(i % 13) + "/f" + std::to_string(i));
  }
  paths.push_back("");  // an empty path is a path like any other
  const PathTable table(std::vector<std::string_view>(paths.begin(), paths.end()));
  CHECK(table.size() == paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::optional<uint32_t> found = table.Find(paths[i]);
    REQUIRE(found.has_value());
    CHECK(*found == i);
  }
  CHECK_FALSE(table.Find("d0/f1"));  // f1 is in d1
  CHECK_FALSE(table.Find("d1/f1/"));
  CHECK_FALSE(table.Find("d1/f50000"));
}

}  // namespace
}  // namespace bt::cache
