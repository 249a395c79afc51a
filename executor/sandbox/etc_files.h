// The /etc/hosts, /etc/resolv.conf and /etc/hostname a RUN step sees, with the contents
// BuildKit gives them (executor/oci/hosts.go, executor/oci/resolvconf.go over
// util/resolvconf/resolvconf.go). Pure functions of their inputs: the caller reads the
// host's resolv.conf, writes the results into the bundle and binds them read-only.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "executor/sandbox/sandbox_spec.h"

namespace bt::executor {

// The hostname of a step whose ExecOp names none (hosts.go defaultHostname).
inline constexpr std::string_view kDefaultHostname = "buildkitsandbox";

// One --add-host entry. `ip` is written as given: the caller has validated it and put it in
// Go's net.IP.String() form, as BuildKit's frontend does before it reaches the executor.
struct ExtraHost {
  std::string host;
  std::string ip;
};

// hosts.go initHostsFile + makeHostsFile: "127.0.0.1\tlocalhost HOSTNAME\n::1\tlocalhost
// ip6-localhost ip6-loopback\n", then "IP\tHOST\n" per extra host in the given order.
// An empty hostname is kDefaultHostname.
std::string HostsFile(std::string_view hostname, const std::vector<ExtraHost>& extra);

// Which host file BuildKit reads for a step's resolv.conf (resolvconf.go resolvconfPath), given
// the text of the host's /etc/resolv.conf ("" when it does not exist): /etc/resolv.conf, except
// off the host network when its only nameserver is 127.0.0.53 (systemd-resolved's stub, which
// nothing outside the host's network namespace can reach): then
// /run/systemd/resolve/resolv.conf, the file systemd-resolved keeps with the real upstreams.
std::string_view ResolvConfSourcePath(std::string_view etc_resolv_conf, StepNetwork network);

// The step's resolv.conf from the text of the file ResolvConfSourcePath named ("" when it does
// not exist), as GetResolvConf generates it: the file is parsed and written back in a fixed
// form (nameservers, then the last search/domain line, then all options merged into one line,
// then unrecognised lines as they were; comments and invalid nameserver lines dropped; addresses
// in Go's netip form). Off the host network, loopback nameservers (127.0.0.0/8, ::1, and
// ::ffff:127.x) are removed; on any network, when no nameserver is left, the defaults
// 8.8.8.8, 8.8.4.4, 2001:4860:4860::8888, 2001:4860:4860::8844 are used.
std::string ResolvConfFor(std::string_view host_resolv_conf, StepNetwork network);

// hostname + "\n" (an empty hostname is kDefaultHostname), the form of Docker's
// /etc/hostname. BuildKit itself binds no /etc/hostname, so its RUN steps see the image's.
std::string HostnameFile(std::string_view hostname);

}  // namespace bt::executor
