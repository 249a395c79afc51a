#include "oci/image_config.h"

#include <string>

#include <catch2/catch.hpp>

namespace bt::oci {
namespace {

constexpr char kDiffId[] =
    "sha256:3d24ee258efc3bfe4066a1a9fb83febf6dc0b1548dfe896161533668281c9f4f";

Digest D(const char* text) { return *Digest::Parse(text); }

// busybox:1.36 as `docker build` with the classic builder wrote it (Docker 20.10): the Docker
// v1 shape with container_config, docker_version, explicit nulls and empty strings, none of
// which ImageConfig keeps. Written by hand after the configs Docker Hub serves.
constexpr char kBusyboxConfig[] = R"({
  "architecture": "amd64",
  "config": {
    "Hostname": "",
    "Domainname": "",
    "User": "",
    "AttachStdin": false,
    "AttachStdout": false,
    "AttachStderr": false,
    "Tty": false,
    "OpenStdin": false,
    "StdinOnce": false,
    "Env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    ],
    "Cmd": [
      "sh"
    ],
    "Image": "sha256:9b9fb2c8a0a0d2f7e1ad0a5f6e8c1c7f3d1f2b6e7a4c4f1f8e2d9c7b6a5f4e3d",
    "Volumes": null,
    "WorkingDir": "",
    "Entrypoint": null,
    "OnBuild": null,
    "Labels": {}
  },
  "container": "1a2b3c4d5e6f",
  "container_config": {
    "Hostname": "1a2b3c4d5e6f",
    "Env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    ],
    "Cmd": [
      "/bin/sh",
      "-c",
      "#(nop) ",
      "CMD [\"sh\"]"
    ],
    "Labels": {}
  },
  "created": "2023-07-18T23:19:33.655005962Z",
  "docker_version": "20.10.23",
  "history": [
    {
      "created": "2023-07-18T23:19:33.538571854Z",
      "created_by": "/bin/sh -c #(nop) ADD file:7e9002edaafd4e4579b65c8f0aaabde1aeb7fd3f8d95579f7fd3443cef785fd1 in / "
    },
    {
      "created": "2023-07-18T23:19:33.655005962Z",
      "created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]",
      "empty_layer": true
    }
  ],
  "os": "linux",
  "rootfs": {
    "type": "layers",
    "diff_ids": [
      "sha256:3d24ee258efc3bfe4066a1a9fb83febf6dc0b1548dfe896161533668281c9f4f"
    ]
  }
})";

TEST_CASE("a Docker-built busybox config parses into its typed fields", "[oci][image_config]") {
  auto img = ParseImageConfig(kBusyboxConfig);
  REQUIRE(img.has_value());
  CHECK(img->platform == Platform{"linux", "amd64", ""});
  CHECK(img->created == "2023-07-18T23:19:33.655005962Z");
  CHECK(img->author.empty());
  const ContainerConfig& c = img->config;
  REQUIRE(c.env.size() == 1);
  CHECK(c.env[0].first == "PATH");
  CHECK(c.env[0].second == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  CHECK(c.cmd == std::vector<std::string>{"sh"});
  CHECK_FALSE(c.entrypoint.has_value());  // null is absent
  CHECK(c.labels.empty());
  CHECK(c.volumes.empty());
  CHECK(c.working_dir.empty());
  CHECK_FALSE(c.healthcheck.has_value());
  CHECK(img->diff_ids == std::vector<Digest>{D(kDiffId)});
  REQUIRE(img->history.size() == 2);
  CHECK(img->history[0].created_by.rfind("/bin/sh -c #(nop) ADD file:", 0) == 0);
  CHECK_FALSE(img->history[0].empty_layer);
  CHECK(img->history[1].created_by == "/bin/sh -c #(nop)  CMD [\"sh\"]");
  CHECK(img->history[1].empty_layer);
}

ImageConfig FullConfig() {
  ImageConfig img;
  img.created = "2024-01-02T03:04:05Z";
  img.platform = Platform{"linux", "arm", "v7"};
  ContainerConfig& c = img.config;
  c.user = "app";
  c.exposed_ports = {"80/tcp", "443/tcp"};
  c.env = {{"PATH", "/usr/bin"}, {"A", "<b>&c"}};
  c.entrypoint = std::vector<std::string>{"/bin/sh", "-c"};
  c.volumes = {"/data"};
  c.working_dir = "/srv";
  c.labels = {{"b", "2"}, {"a", "1"}};
  c.stop_signal = "SIGTERM";
  HealthConfig h;
  h.test = {"CMD-SHELL", "curl -f http://localhost/ || exit 1"};
  h.interval_ns = 30'000'000'000;
  h.retries = 3;
  c.healthcheck = h;
  c.on_build = {"RUN echo hi"};
  c.shell = {"/bin/bash", "-c"};
  img.diff_ids = {D(kDiffId)};
  img.history = {
      {"2024-01-02T03:04:05Z", "ADD rootfs.tar / # buildkit", "", "buildkit.dockerfile.v0", false},
      {"", "CMD [\"sh\"]", "", "buildkit.dockerfile.v0", true},
  };
  return img;
}

TEST_CASE("serialization writes the bytes BuildKit's exporter writes for the same config",
          "[oci][image_config]") {
  // Reasoned from the Go structs: patchImageConfig re-marshals the top level as a map (keys in
  // byte order, "config" kept as the frontend marshaled it); DockerOCIImageConfig writes
  // ImageConfig's fields then Healthcheck, OnBuild, Shell, all omitempty; map keys are sorted;
  // json.Marshal escapes < > & as \u003c \u003e \u0026; durations are integer nanoseconds;
  // History writes created, created_by, author, comment, empty_layer, all omitempty.
  const std::string expected =
      R"({"architecture":"arm","config":{"User":"app","ExposedPorts":{"443/tcp":{},"80/tcp":{}},)"
      R"("Env":["PATH=/usr/bin","A=\u003cb\u003e\u0026c"],"Entrypoint":["/bin/sh","-c"],)"
      R"("Volumes":{"/data":{}},"WorkingDir":"/srv","Labels":{"a":"1","b":"2"},)"
      R"("StopSignal":"SIGTERM","Healthcheck":{"Test":["CMD-SHELL","curl -f http://localhost/ || exit 1"],)"
      R"("Interval":30000000000,"Retries":3},"OnBuild":["RUN echo hi"],"Shell":["/bin/bash","-c"]},)"
      R"("created":"2024-01-02T03:04:05Z","history":[{"created":"2024-01-02T03:04:05Z",)"
      R"("created_by":"ADD rootfs.tar / # buildkit","comment":"buildkit.dockerfile.v0"},)"
      R"({"created_by":"CMD [\"sh\"]","comment":"buildkit.dockerfile.v0","empty_layer":true}],)"
      R"("os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:3d24ee258efc3bfe4066a1a9fb83febf6dc0b1548dfe896161533668281c9f4f"]},)"
      R"("variant":"v7"})";
  CHECK(SerializeImageConfig(FullConfig()) == expected);
}

TEST_CASE("empty fields are omitted as Go's omitempty omits them", "[oci][image_config]") {
  ImageConfig img;
  img.platform = Platform{"linux", "amd64", ""};
  // architecture and os have no omitempty; config and rootfs are structs, always written.
  CHECK(
      SerializeImageConfig(img) ==
      R"({"architecture":"amd64","config":{},"os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");

  SECTION("a set but empty Entrypoint or Cmd is written as []") {
    img.config.entrypoint = std::vector<std::string>{};
    img.config.cmd = std::vector<std::string>{};
    CHECK(SerializeImageConfig(img) ==
          R"({"architecture":"amd64","config":{"Entrypoint":[],"Cmd":[]},"os":"linux",)"
          R"("rootfs":{"type":"layers","diff_ids":[]}})");
  }
  SECTION("a set Healthcheck is written even when all of it is the default") {
    img.config.healthcheck = HealthConfig{};
    CHECK(SerializeImageConfig(img) ==
          R"({"architecture":"amd64","config":{"Healthcheck":{}},"os":"linux",)"
          R"("rootfs":{"type":"layers","diff_ids":[]}})");
  }
  SECTION("ArgsEscaped is written only when true") {
    img.config.args_escaped = true;
    CHECK_THAT(SerializeImageConfig(img), Catch::Contains(R"("config":{"ArgsEscaped":true})"));
  }
}

TEST_CASE("strings are escaped as Go's encoding/json escapes them", "[oci][image_config]") {
  ImageConfig img;
  img.platform = Platform{"linux", "amd64", ""};
  // Tab, a C0 control, quote, backslash, \b and \f (short forms since Go 1.22), a byte of
  // invalid UTF-8, a valid 2-byte character, U+2028, DEL (not escaped by Go).
  img.config.labels = {{"k", std::string("a\tb\x01\"\\\b\f\xff\xc3\xa9\xe2\x80\xa8\x7f")}};
  CHECK_THAT(SerializeImageConfig(img), Catch::Contains(R"("Labels":{"k":"a\tb\u0001\"\\\b\f\ufffd)"
                                                        "\xc3\xa9"
                                                        R"(\u2028)"
                                                        "\x7f"
                                                        R"("})"));
}

TEST_CASE("serialize then parse gives back the same config", "[oci][image_config]") {
  const ImageConfig img = FullConfig();
  auto parsed = ParseImageConfig(SerializeImageConfig(img));
  REQUIRE(parsed.has_value());
  CHECK(*parsed == img);

  SECTION("including empty Entrypoint and Cmd, which differ from absent ones") {
    ImageConfig empty = img;
    empty.config.entrypoint = std::vector<std::string>{};
    empty.config.cmd = std::vector<std::string>{};
    auto again = ParseImageConfig(SerializeImageConfig(empty));
    REQUIRE(again.has_value());
    CHECK(*again == empty);
  }
  SECTION("and a parsed Docker config serializes to a fixed point") {
    auto busybox = ParseImageConfig(kBusyboxConfig);
    REQUIRE(busybox.has_value());
    const std::string once = SerializeImageConfig(*busybox);
    auto reparsed = ParseImageConfig(once);
    REQUIRE(reparsed.has_value());
    CHECK(*reparsed == *busybox);
    CHECK(SerializeImageConfig(*reparsed) == once);
  }
}

TEST_CASE("unknown fields and null objects or arrays are tolerated", "[oci][image_config]") {
  auto img = ParseImageConfig(R"({"architecture":"amd64","os":"linux","os.version":"x",
      "moby.buildkit.cache.v0":"abc","config":null,"rootfs":null,"history":null,
      "author":null,"created":null})");
  REQUIRE(img.has_value());
  CHECK(img->platform.architecture == "amd64");
  CHECK(img->config == ContainerConfig{});
  CHECK(img->diff_ids.empty());
  CHECK(img->history.empty());

  auto nulls = ParseImageConfig(R"({"config":{"Env":null,"ExposedPorts":null,"Labels":{"a":null},
      "Healthcheck":null,"Shell":null,"Cmd":null,"ArgsEscaped":null},
      "rootfs":{"type":"layers","diff_ids":null},"history":[null]})");
  REQUIRE(nulls.has_value());
  CHECK(nulls->config.labels == std::map<std::string, std::string>{{"a", ""}});
  CHECK_FALSE(nulls->config.cmd.has_value());
  CHECK(nulls->history == std::vector<HistoryEntry>{HistoryEntry{}});
}

TEST_CASE("keys match their field case-insensitively, an exact match first, as in Go",
          "[oci][image_config]") {
  auto img = ParseImageConfig(R"({"ARCHITECTURE":"s390x","os":"linux","OS":"windows",
      "config":{"cmd":["a"],"workingdir":"/w"}})");
  REQUIRE(img.has_value());
  CHECK(img->platform.architecture == "s390x");
  CHECK(img->platform.os == "linux");
  CHECK(img->config.cmd == std::vector<std::string>{"a"});
  CHECK(img->config.working_dir == "/w");
}

TEST_CASE("an Env entry without an equals sign is a variable with an empty value",
          "[oci][image_config]") {
  // BuildKit reads a base image's Env with parseKeyValue (dockerfile2llb/convert.go).
  auto img = ParseImageConfig(R"({"config":{"Env":["A=1","FLAG","B==x","=v"]}})");
  REQUIRE(img.has_value());
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"A", "1"}, {"FLAG", ""}, {"B", "=x"}, {"", "v"}};
  CHECK(img->config.env == expected);
  CHECK_THAT(SerializeImageConfig(*img), Catch::Contains(R"("Env":["A=1","FLAG=","B==x","=v"])"));
}

TEST_CASE("a known field of the wrong type is an error naming the field", "[oci][image_config]") {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"config":{"Env":"PATH=/bin"}})", "config.Env"},
      {R"({"config":{"Env":["A=1",2]}})", "config.Env[1]"},
      {R"({"config":{"Cmd":"sh"}})", "config.Cmd"},
      {R"({"config":{"ExposedPorts":["80/tcp"]}})", "config.ExposedPorts"},
      {R"({"config":{"ExposedPorts":{"80/tcp":1}}})", "config.ExposedPorts[\"80/tcp\"]"},
      {R"({"config":{"Labels":{"a":1}}})", "config.Labels[\"a\"]"},
      {R"({"config":{"User":0}})", "config.User"},
      {R"({"config":{"ArgsEscaped":"true"}})", "config.ArgsEscaped"},
      {R"({"config":{"Healthcheck":{"Interval":"30s"}}})", "config.Healthcheck.Interval"},
      {R"({"config":{"Healthcheck":{"Interval":1.5}}})", "config.Healthcheck.Interval"},
      {R"({"config":{"Healthcheck":{"Interval":9223372036854775808}}})",
       "config.Healthcheck.Interval"},
      {R"({"config":{"Healthcheck":{"Retries":4294967296}}})", "config.Healthcheck.Retries"},
      {R"({"config":{"Healthcheck":["CMD"]}})", "config.Healthcheck"},
      {R"({"config":[]})", "config"},
      {R"({"architecture":["amd64"]})", "architecture"},
      {R"({"created":"yesterday"})", "created"},
      {R"({"created":"2024-02-30T00:00:00Z"})", "created"},
      {R"({"history":[{"created":"2024-01-01 00:00:00Z"}]})", "history[0].created"},
      {R"({"history":[{"empty_layer":1}]})", "history[0].empty_layer"},
      {R"({"history":{}})", "history"},
      {R"({"rootfs":{"diff_ids":"sha256:00"}})", "rootfs.diff_ids"},
      {R"({"rootfs":{"diff_ids":["sha256:xyz"]}})", "rootfs.diff_ids[0]"},
      {R"({"rootfs":{"type":1}})", "rootfs.type"},
      {R"([])", "the document"},
      {R"(null)", "the document"},
  };
  for (const auto& [json, where] : cases) {
    INFO(json);
    auto img = ParseImageConfig(json);
    REQUIRE_FALSE(img.has_value());
    CHECK(img.error().code == ErrorCode::kInvalidArgument);
    CHECK_THAT(img.error().message, Catch::Contains(std::string(where) + ":"));
  }
}

TEST_CASE("dates in RFC 3339 with fractions and offsets are accepted", "[oci][image_config]") {
  for (const char* date : {"2023-07-18T23:19:33.655005962Z", "2024-02-29T00:00:00+01:00",
                           "0001-01-01T00:00:00Z", "2024-12-31T23:59:59-07:30"}) {
    INFO(date);
    CHECK(ParseImageConfig(std::string(R"({"created":")") + date + "\"}").has_value());
  }
}

TEST_CASE("input that is not JSON or too large is rejected before use", "[oci][image_config]") {
  auto broken = ParseImageConfig(R"({"config":)");
  REQUIRE_FALSE(broken.has_value());
  CHECK(broken.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(broken.error().message, Catch::StartsWith("parse image config: "));

  const std::string config = R"({"os":"linux"})";
  CHECK(ParseImageConfig(config, config.size()).has_value());
  auto big = ParseImageConfig(config, config.size() - 1);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(big.error().message, Catch::Contains("more than the limit"));
}

}  // namespace
}  // namespace bt::oci
