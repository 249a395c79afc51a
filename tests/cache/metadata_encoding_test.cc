// The byte encoding of metadata DB values: round trips, the documented layout byte for byte,
// and damage (truncation, trailing bytes, unknown versions) refused without a crash.
#include "cache/metadata_encoding.h"

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

namespace bt::cache {
namespace {

Timestamp At(std::int64_t ns) {
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(std::chrono::nanoseconds(ns)));
}

CacheRecord SampleCacheRecord() {
  CacheRecord r;
  r.key = oci::Digest::Of("op");
  r.snapshot_ids = {"0123456789ab", "ba9876543210"};
  r.blobs = {oci::Digest::Of("layer")};
  r.output_metadata = std::string("exit\0code", 9);
  r.size_bytes = 1ull << 40;
  r.created = At(1'700'000'000'123'456'789);
  r.last_used = At(-5);  // before the epoch still round-trips
  r.description = "RUN make";
  return r;
}

LeaseRecord SampleLease() {
  LeaseRecord r;
  r.id = std::string(32, 'a');
  r.owner_pid = 4242;
  r.lock_path = "/root/leases/" + r.id + ".lock";
  r.created = At(7);
  r.snapshot_ids = {"0123456789ab"};
  r.blobs = {oci::Digest::Of("a"), oci::Digest::Of("b")};
  return r;
}

TEST_CASE("each record type decodes to what was encoded", "[cache][metadata_encoding]") {
  SECTION("cache record") {
    const CacheRecord in = SampleCacheRecord();
    const Result<CacheRecord> out = DecodeCacheRecord(in.key, EncodeCacheRecord(in));
    REQUIRE(out.has_value());
    CHECK(out->key == in.key);
    CHECK(out->snapshot_ids == in.snapshot_ids);
    CHECK(out->blobs == in.blobs);
    CHECK(out->output_metadata == in.output_metadata);
    CHECK(out->size_bytes == in.size_bytes);
    CHECK(out->created == in.created);
    CHECK(out->last_used == in.last_used);
    CHECK(out->description == in.description);
  }
  SECTION("snapshot record with and without a parent") {
    SnapshotRecord in;
    in.id = "0123456789ab";
    in.kind = SnapshotKind::kCommitted;
    in.size_bytes = 99;
    in.created = At(3);
    in.refcount = 7;
    for (const std::optional<std::string>& parent :
         {std::optional<std::string>(), std::optional<std::string>("ba9876543210")}) {
      in.parent = parent;
      const Result<SnapshotRecord> out = DecodeSnapshotRecord(in.id, EncodeSnapshotRecord(in));
      REQUIRE(out.has_value());
      CHECK(out->id == in.id);
      CHECK(out->parent == in.parent);
      CHECK(out->kind == in.kind);
      CHECK(out->size_bytes == in.size_bytes);
      CHECK(out->created == in.created);
      CHECK(out->refcount == in.refcount);
    }
  }
  SECTION("lease record") {
    const LeaseRecord in = SampleLease();
    const Result<LeaseRecord> out = DecodeLeaseRecord(in.id, EncodeLeaseRecord(in));
    REQUIRE(out.has_value());
    CHECK(out->id == in.id);
    CHECK(out->owner_pid == in.owner_pid);
    CHECK(out->lock_path == in.lock_path);
    CHECK(out->created == in.created);
    CHECK(out->snapshot_ids == in.snapshot_ids);
    CHECK(out->blobs == in.blobs);
  }
}

TEST_CASE("a version 1 cache record (before blobs) still decodes, with no blobs",
          "[cache][metadata_encoding]") {
  // u8 version=1 | list<str> snapshot_ids | str output_metadata | u64 size_bytes
  // | time created | time last_used | str description; little-endian.
  const std::string v1(
      "\x01"
      "\x01\0\0\0" "\x0c\0\0\0" "0123456789ab"
      "\x02\0\0\0" "ok"
      "\x05\0\0\0\0\0\0\0"
      "\x06\0\0\0\0\0\0\0"
      "\x07\0\0\0\0\0\0\0"
      "\x03\0\0\0" "RUN",
      1 + 4 + 4 + 12 + 4 + 2 + 8 + 8 + 8 + 4 + 3);
  const Result<CacheRecord> out = DecodeCacheRecord(oci::Digest::Of("k"), v1);
  REQUIRE(out.has_value());
  CHECK(out->snapshot_ids == std::vector<std::string>{"0123456789ab"});
  CHECK(out->blobs.empty());
  CHECK(out->output_metadata == "ok");
  CHECK(out->size_bytes == 5);
  CHECK(out->created == At(6));
  CHECK(out->last_used == At(7));
  CHECK(out->description == "RUN");
  CHECK(EncodeCacheRecord(*out)[0] == 2);  // re-encoded in the newest version
}

TEST_CASE("a snapshot record is laid out exactly as metadata_encoding.h documents",
          "[cache][metadata_encoding]") {
  SnapshotRecord in;
  in.id = "0123456789ab";
  in.parent = "ab";  // the encoder does not validate ids; the DB does
  in.kind = SnapshotKind::kActive;
  in.size_bytes = 0x0102;
  in.created = At(0x0304);
  in.refcount = 5;
  // version, kind, has_parent, str parent, u64 size, i64 created, u32 refcount; little-endian.
  const std::string expected(
      "\x01"
      "\x01"
      "\x01"
      "\x02\x00\x00\x00"
      "ab"
      "\x02\x01\x00\x00\x00\x00\x00\x00"
      "\x04\x03\x00\x00\x00\x00\x00\x00"
      "\x05\x00\x00\x00",
      1 + 1 + 1 + 4 + 2 + 8 + 8 + 4);
  CHECK(EncodeSnapshotRecord(in) == expected);
}

TEST_CASE("a truncated or extended value is data loss, never a crash",
          "[cache][metadata_encoding]") {
  const CacheRecord cache = SampleCacheRecord();
  const std::string cache_bytes = EncodeCacheRecord(cache);
  const LeaseRecord lease = SampleLease();
  const std::string lease_bytes = EncodeLeaseRecord(lease);
  for (std::size_t n = 0; n < cache_bytes.size(); ++n) {
    const Result<CacheRecord> r = DecodeCacheRecord(cache.key, cache_bytes.substr(0, n));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kDataLoss);
  }
  for (std::size_t n = 0; n < lease_bytes.size(); ++n) {
    const Result<LeaseRecord> r = DecodeLeaseRecord(lease.id, lease_bytes.substr(0, n));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kDataLoss);
  }
  CHECK(DecodeCacheRecord(cache.key, cache_bytes + "x").error().code == ErrorCode::kDataLoss);
  // A list count far beyond the bytes present is refused before anything is allocated.
  std::string huge = cache_bytes;
  huge[1] = huge[2] = huge[3] = huge[4] = '\xff';
  CHECK(DecodeCacheRecord(cache.key, huge).error().code == ErrorCode::kDataLoss);
}

TEST_CASE("a snapshot record with an unknown kind or parent flag is data loss",
          "[cache][metadata_encoding]") {
  SnapshotRecord in;
  in.id = "0123456789ab";
  std::string bytes = EncodeSnapshotRecord(in);
  std::string bad_kind = bytes;
  bad_kind[1] = 3;
  CHECK(DecodeSnapshotRecord(in.id, bad_kind).error().code == ErrorCode::kDataLoss);
  std::string bad_flag = bytes;
  bad_flag[2] = 2;
  CHECK(DecodeSnapshotRecord(in.id, bad_flag).error().code == ErrorCode::kDataLoss);
}

TEST_CASE("a record from a newer buildtool is refused as a precondition, not as damage",
          "[cache][metadata_encoding]") {
  const LeaseRecord lease = SampleLease();
  std::string bytes = EncodeLeaseRecord(lease);
  bytes[0] = static_cast<char>(kLeaseRecordVersion + 1);
  const Result<LeaseRecord> r = DecodeLeaseRecord(lease.id, bytes);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kFailedPrecondition);
  bytes[0] = 0;
  CHECK(DecodeLeaseRecord(lease.id, bytes).error().code == ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace bt::cache
