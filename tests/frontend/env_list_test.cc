// EnvList follows llb.EnvList (client/llb/meta.go): Keys() lists each name once, ordered by
// its latest AddOrReplace, and Delete removes it.
#include "frontend/lowering/env_list.h"

#include <catch2/catch.hpp>

namespace bt::frontend {
namespace {

using Entries = std::vector<EnvList::Entry>;

TEST_CASE("setting a variable again moves it to the end with its new value", "[frontend][env]") {
  EnvList env;
  env.Set("A", "1");
  env.Set("B", "2");
  env.Set("A", "3");
  CHECK(env.entries() == Entries{{"B", "2"}, {"A", "3"}});
  CHECK(*env.Lookup("A") == "3");
  CHECK_FALSE(env.Lookup("a").has_value());  // names are case-sensitive on Linux
}

TEST_CASE("a removed variable is unset and an empty one is set", "[frontend][env]") {
  EnvList env(Entries{{"A", "1"}, {"E", ""}});
  env.Remove("A");
  CHECK_FALSE(env.Contains("A"));
  REQUIRE(env.Contains("E"));
  CHECK(env.Lookup("E")->empty());
  env.Set("E", *env.Lookup("E"));  // a value that aliases the entry being replaced
  CHECK(env.entries() == Entries{{"E", ""}});
}

}  // namespace
}  // namespace bt::frontend
