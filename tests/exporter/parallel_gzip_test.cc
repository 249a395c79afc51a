// ParallelGzip: whatever the sizes and level (ISA-L's igzip for 1-3, zlib's deflate for the
// others), the stream is one valid gzip member that zlib's inflate and gzip(1) read back to the
// input (CRC and length in the trailer checked by both), and the bytes do not depend on how
// many blocks are compressed at a time.
#include "exporter/parallel_gzip.h"

#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "base/temp_dir.h"

namespace bt::exporter {
namespace {

std::string Gzip(const std::string& input, std::size_t chunk, std::size_t batch_blocks, int level = -1) {
  std::string out;
  ParallelGzip gz([&](std::string_view b) -> Result<void> {
    out.append(b);
    return {};
  }, level, batch_blocks);
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    REQUIRE(gz.Write(std::string_view(input).substr(i, chunk)).has_value());
  }
  REQUIRE(gz.Finish().has_value());
  return out;
}

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out;
  char buf[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc != Z_STREAM_END);
  CHECK(z.avail_in == 0);  // one member, nothing after the trailer
  inflateEnd(&z);
  return out;
}

// Text that compresses (hex digits of a generator), with repeats further apart than a block.
std::string Data(std::size_t size) {
  std::mt19937 rng(42);
  std::string s;
  s.reserve(size);
  while (s.size() < size) {
    char line[32];
    std::snprintf(line, sizeof line, "%08x %08x\n", static_cast<unsigned>(rng()),
                  static_cast<unsigned>(rng() % 1000));
    s += line;
  }
  s.resize(size);
  return s;
}

TEST_CASE("every size round-trips through inflate, at every kind of level", "[exporter][gzip]") {
  for (int level : {-1, 0, 1, 2, 3, 6, 9}) {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1000},
                             ParallelGzip::kBlockSize - 1, ParallelGzip::kBlockSize,
                             ParallelGzip::kBlockSize + 1, 3 * ParallelGzip::kBlockSize + 77,
                             std::size_t{5u << 20}}) {
      INFO("level " << level << " size " << size);
      const std::string input = Data(size);
      CHECK(Gunzip(Gzip(input, 4096, 0, level)) == input);
    }
  }
  // Input that does not compress (ISA-L falls back to stored blocks): still round-trips.
  std::mt19937 rng(7);
  std::string noise(1u << 20, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  CHECK(Gunzip(Gzip(noise, 65536, 0, 3)) == noise);
}

TEST_CASE("the bytes do not depend on batching or write sizes", "[exporter][gzip]") {
  const std::string input = Data(3u << 20);
  for (int level : {-1, 6}) {
    INFO("level " << level);
    const std::string a = Gzip(input, 1u << 20, 1, level);
    CHECK(Gzip(input, 7, 8, level) == a);
    CHECK(Gzip(input, 300000, 3, level) == a);
  }
  // The default is igzip's level 3; other levels differ.
  CHECK(Gzip(input, 1u << 20, 0, -1) == Gzip(input, 1u << 20, 0, 3));
  CHECK(Gzip(input, 1u << 20, 0, 1) != Gzip(input, 1u << 20, 0, 3));
}

TEST_CASE("the dictionary keeps the ratio of one stream", "[exporter][gzip]") {
  // zlib's level 6 in blocks, against zlib's own gzip of the whole input: within 1%.
  const std::string input = Data(3u << 20);
  const std::string a = Gzip(input, 1u << 20, 0, 6);
  uLongf bound = compressBound(static_cast<uLong>(input.size()));
  std::string single(bound, '\0');
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  z.avail_in = static_cast<uInt>(input.size());
  z.next_out = reinterpret_cast<Bytef*>(single.data());
  z.avail_out = static_cast<uInt>(single.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  const double ratio = static_cast<double>(a.size()) / static_cast<double>(z.total_out);
  deflateEnd(&z);
  CHECK(ratio < 1.01);
}

TEST_CASE("gzip(1) accepts the stream", "[exporter][gzip]") {
  const std::string input = Data(1u << 20);
  TempDir dir = *TempDir::Create("", "bt-pgzip-");
  for (int level : {-1, 9}) {
    INFO("level " << level);
    const std::string path = dir.path() + "/x.gz";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << Gzip(input, 65536, 0, level);
    CHECK(std::system(("gzip -t " + path).c_str()) == 0);
    FILE* p = ::popen(("gzip -dc " + path + " | wc -c").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[64] = {};
    REQUIRE(std::fgets(buf, sizeof buf, p) != nullptr);
    ::pclose(p);
    CHECK(std::stoul(buf) == input.size());
  }
}

}  // namespace
}  // namespace bt::exporter
