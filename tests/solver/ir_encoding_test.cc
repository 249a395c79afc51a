#include "solver/ir_encoding.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

namespace bt::ir {
namespace {

// Bytes written as hex pairs, spaces ignored: "01 05000000" is 01 05 00 00 00.
std::string Hex(std::string_view hex) {
  std::string out;
  int pending = -1;
  for (char c : hex) {
    if (c == ' ') continue;
    const int v = (c >= '0' && c <= '9') ? c - '0' : c - 'a' + 10;
    REQUIRE((v >= 0 && v < 16));
    if (pending < 0) {
      pending = v;
    } else {
      out.push_back(static_cast<char>(pending << 4 | v));
      pending = -1;
    }
  }
  REQUIRE(pending < 0);
  return out;
}

std::string Raw(const oci::Digest& d) {
  return std::string(reinterpret_cast<const char*>(d.bytes().data()), d.bytes().size());
}

oci::Platform LinuxAmd64() { return oci::Platform{"linux", "amd64", ""}; }

// FROM scratch + `RUN mkdir -p /a && chown 1000:staff /a`, as a FileOp.
Op MkdirOp() {
  MkdirAction mkdir;
  mkdir.path = "/a";
  mkdir.mode = 0755;
  mkdir.make_parents = true;
  mkdir.owner = Chown{UserSpec(std::uint32_t{1000}), UserSpec(std::string("staff"))};
  Op op;
  op.body = FileOp{kScratch, {mkdir}};
  op.platform = LinuxAmd64();
  return op;
}

// The bytes of MkdirOp(), written out from the format in ir_encoding.h.
std::string MkdirOpBytes() {
  return "btir" + Hex("01000000") +            // magic, version 1
         Hex("01 00000000") +                  // Op.1 inputs: 0 edges
         Hex("02 03") +                        // Op.2 body: FileOp
         Hex("01 ffffffff") +                  //   FileOp.1 base: kScratch
         Hex("02 01000000") +                  //   FileOp.2 actions: 1
         Hex("02") +                           //     MkdirAction
         Hex("01 02000000") + "/a" +           //       1 path
         Hex("02 ed010000") +                  //       2 mode 0755 = 0x1ed
         Hex("03 01") +                        //       3 make_parents
         Hex("04 01") +                        //       4 owner: present
         Hex("01 01 e8030000") +               //         Chown.1 user: id 1000
         Hex("02 01 02 05000000") + "staff" +  //         Chown.2 group: present, name
         Hex("05 00") +                        //       5 timestamp: absent
         Hex("03") +                           // Op.3 platform
         Hex("01 05000000") + "linux" +        //   1 os
         Hex("02 05000000") + "amd64" +        //   2 architecture
         Hex("03 00000000");                   //   3 variant: ""
}

// SHA-256 of the hand-written bytes, computed outside buildtool (Python's hashlib).
constexpr char kMkdirOpDigest[] =
    "sha256:a0c042419e3c30a38243a758fccf95a5b595181e0c8061dbb0c062b71dfcd44b";
constexpr char kMergeOpDigest[] =
    "sha256:4b5da8e0a15079eae63a143fb4ec673d58c63e09d7e36028cd10c5791a5cabfe";
constexpr char kExecOpDigest[] =
    "sha256:b938e25e29424ce669ad349fd862665ef76c2e9adf1348b957341d09c34919da";

// `RUN --network=none true` on top of MkdirOp's result (vertex 0).
Op ExecOnMkdir() {
  ExecOp exec;
  exec.args = {"true"};
  exec.mounts.push_back(Mount{"/", BindMount{0, "", false}, 0});
  exec.network = NetMode::kNone;
  Op op;
  op.inputs = {Edge{0, 0}};
  op.body = std::move(exec);
  op.platform = LinuxAmd64();
  return op;
}

TEST_CASE("a file op encodes to exactly the bytes the format documents", "[solver][ir]") {
  Graph graph;
  CHECK(EncodeOp(MkdirOp(), graph) == MkdirOpBytes());
  CHECK(DigestOp(MkdirOp(), graph).ToString() == kMkdirOpDigest);
}

TEST_CASE("an input is encoded as its vertex digest and output index", "[solver][ir]") {
  Graph graph;
  const VertexId base = graph.Add(MkdirOp());
  Op merge;
  merge.inputs = {Edge{base, 0}};
  merge.body = MergeOp{};
  const std::string expected = "btir" + Hex("01000000") +                      //
                               Hex("01 01000000") +                            // 1 edge
                               Hex("01") + Raw(graph.digest(base)) +           //   digest
                               Hex("02 00000000") +                            //   output 0
                               Hex("02 04") +                                  // MergeOp
                               Hex("03 01 00000000 02 00000000 03 00000000");  // platform {}
  CHECK(EncodeOp(merge, graph) == expected);
  CHECK(DigestOp(merge, graph).ToString() == kMergeOpDigest);
}

TEST_CASE("an exec op encodes to exactly the bytes the format documents", "[solver][ir]") {
  Graph graph;
  const VertexId base = graph.Add(MkdirOp());
  const std::string expected = "btir" + Hex("01000000") +                                //
                               Hex("01 01000000 01") + Raw(graph.digest(base)) +         //
                               Hex("02 00000000") +                                      //
                               Hex("02 02") +                                            // ExecOp
                               Hex("01 01000000 04000000") + "true" +                    // args
                               Hex("02 00000000") +                                      // env
                               Hex("03 01000000") + "/" +                                // cwd
                               Hex("04 00000000 05 00000000 06 00000000 07 00000000") +  //
                               Hex("08 01000000") +                                      // mounts
                               Hex("01 01000000") + "/" +                                //   dest
                               Hex("02 01 01 00000000 02 00000000 03 00") +              //   bind
                               Hex("03 01 00000000") +                                   //   out 0
                               Hex("09 02 0a 00 0b 00000000") +  // network none, sandbox
                               Hex("03 01 05000000") + "linux" + Hex("02 05000000") + "amd64" +
                               Hex("03 00000000");
  CHECK(EncodeOp(ExecOnMkdir(), graph) == expected);
  CHECK(DigestOp(ExecOnMkdir(), graph).ToString() == kExecOpDigest);
}

TEST_CASE("the encoding does not depend on the vertex ids of the inputs", "[solver][ir]") {
  Graph first;
  first.Add(MkdirOp());
  Graph second;
  Op unrelated;
  unrelated.body = MergeOp{};
  second.Add(unrelated);
  REQUIRE(second.Add(MkdirOp()) == 1);
  Op exec = ExecOnMkdir();
  exec.inputs = {Edge{1, 0}};
  CHECK(EncodeOp(exec, second) == EncodeOp(ExecOnMkdir(), first));
}

// The one byte in which encodings of ops that differ only in an enum differ.
std::vector<unsigned char> DifferingBytes(const std::vector<std::string>& encodings) {
  const std::string& first = encodings.front();
  for (const std::string& e : encodings) REQUIRE(e.size() == first.size());
  std::size_t at = first.size();
  for (std::size_t i = 0; i < first.size(); ++i) {
    for (const std::string& e : encodings) {
      if (e[i] != first[i]) {
        REQUIRE(at == first.size());  // one differing position only
        at = i;
        break;
      }
    }
  }
  REQUIRE(at < first.size());
  std::vector<unsigned char> out;
  for (const std::string& e : encodings) out.push_back(static_cast<unsigned char>(e[at]));
  return out;
}

TEST_CASE("every enum value is encoded as the number the format documents", "[solver][ir]") {
  Graph graph;
  graph.Add(MkdirOp());
  const auto exec_with = [&](auto set) {
    Op op = ExecOnMkdir();
    set(std::get<ExecOp>(op.body));
    return EncodeOp(op, graph);
  };

  SECTION("NetMode") {
    std::vector<std::string> encodings;
    for (NetMode m : {NetMode::kSandbox, NetMode::kHost, NetMode::kNone}) {
      encodings.push_back(exec_with([&](ExecOp& e) { e.network = m; }));
    }
    CHECK(DifferingBytes(encodings) == std::vector<unsigned char>{0, 1, 2});
  }
  SECTION("SecurityMode") {
    std::vector<std::string> encodings;
    for (SecurityMode m : {SecurityMode::kSandbox, SecurityMode::kInsecure}) {
      encodings.push_back(exec_with([&](ExecOp& e) { e.security = m; }));
    }
    CHECK(DifferingBytes(encodings) == std::vector<unsigned char>{0, 1});
  }
  SECTION("CacheSharing") {
    std::vector<std::string> encodings;
    for (CacheSharing s : {CacheSharing::kShared, CacheSharing::kPrivate, CacheSharing::kLocked}) {
      encodings.push_back(exec_with([&](ExecOp& e) {
        CacheMount cache;
        cache.id = "go";
        cache.sharing = s;
        e.mounts.push_back(Mount{"/root/.cache", cache, std::nullopt});
      }));
    }
    CHECK(DifferingBytes(encodings) == std::vector<unsigned char>{0, 1, 2});
  }
  SECTION("ResolveMode") {
    std::vector<std::string> encodings;
    for (ResolveMode m :
         {ResolveMode::kDefault, ResolveMode::kForcePull, ResolveMode::kPreferLocal}) {
      Op op;
      op.body = SourceOp{ImageSource{"docker.io/library/busybox:latest", {}, LinuxAmd64(), m}};
      encodings.push_back(EncodeOp(op, graph));
    }
    CHECK(DifferingBytes(encodings) == std::vector<unsigned char>{0, 1, 2});
  }
}

TEST_CASE("the encoding starts with the magic and the version", "[solver][ir]") {
  Graph graph;
  Op op;
  op.body = DiffOp{};
  const std::string bytes = EncodeOp(op, graph);
  CHECK(bytes.substr(0, 8) == "btir" + Hex("01000000"));
  CHECK(kEncodingVersion == 1);
}

}  // namespace
}  // namespace bt::ir
