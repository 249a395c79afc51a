#!/usr/bin/env bash
# Pulling from and pushing to a real registry (issue 7): Debian's CNCF distribution registry on 127.0.0.1,
# plain HTTP (a loopback registry, as docker allows), fed by skopeo. Checks: `buildtool pull`
# stores what skopeo sees (same digest); FROM a registry image on an empty root pulls it and
# the image built on it reuses the very layer blob; a multi-platform index resolves to the
# build's platform; --pull fetches again after the tag moved; unknown images and platforms
# are clear errors.
#
#   registry_test.sh BUILDTOOL SOURCE_DIR
set -uo pipefail
export LC_ALL=C
buildtool=$1
source_dir=$2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
expect_eq() { if [ "$2" != "$3" ]; then fail "$1: expected [$2], got [$3]"; else ok "$1"; fi; }

for tool in docker-registry skopeo jq curl htpasswd openssl; do
  command -v "$tool" >/dev/null || { echo "FAILED: $tool is missing (.ci/install-deps)"; exit 1; }
done
if [ "$(id -u)" != 0 ]; then echo "SKIPPED: needs root (RUN in the sandbox)"; exit 0; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bt-e2e-registry.XXXXXX")
registry_pids=()
cleanup() { for p in "${registry_pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# start_registry CONFIG READY_CMD...: serves CONFIG in the background and waits (5 s at most)
# until READY_CMD succeeds; the registry is stopped when the test ends.
start_registry() {
  local config=$1; shift
  docker-registry serve "$config" >"$config.log" 2>&1 &
  registry_pids+=($!)
  for _ in $(seq 1 50); do "$@" && return 0; sleep 0.1; done
  echo "FAILED: the registry of $config did not start: $(tail -n 3 "$config.log")"; exit 1
}
answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$2")" = "$1" ]; }  # STATUS URL

# A registry on a free loopback port.
for _ in $(seq 1 20); do
  port=$(shuf -i 20000-45000 -n 1)
  curl -s -o /dev/null "http://127.0.0.1:$port/" || break
done
cat >"$work/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
start_registry "$work/config.yml" answers 200 "http://127.0.0.1:$port/v2/"
reg=127.0.0.1:$port

# The base: busybox-static's rootfs, imported and saved by buildtool, pushed by skopeo (which
# recompresses it: the registry's layer is gzip).
sh "$source_dir/tests/example/make-busybox-rootfs.sh" "$work/bb" >/dev/null
tar -C "$work/bb" --numeric-owner -cf "$work/bb.tar" .
"$buildtool" import --root "$work/seed" "$work/bb.tar" bb:1 >/dev/null
"$buildtool" save --root "$work/seed" bb:1 -o "$work/bb-oci.tar"
skopeo copy -q --dest-tls-verify=false "oci-archive:$work/bb-oci.tar" "docker://$reg/bb:latest" ||
  { echo "FAILED: skopeo could not push the base"; exit 1; }
remote=$(skopeo inspect --tls-verify=false "docker://$reg/bb:latest" 2>/dev/null)

pulled=$("$buildtool" pull --root "$work/root" "$reg/bb:latest" 2>&1)
expect_eq "pull stores the manifest skopeo sees" "$(jq -r .Digest <<<"$remote")" "$pulled"
expect_eq "pull names it in the store" "$pulled" "$("$buildtool" inspect --root "$work/root" "$reg/bb:latest" | jq -r .Digest)"

# FROM a registry image on an empty root: pulled, unpacked, and its layer carried as it is.
mkdir -p "$work/ctx"
printf 'FROM %s/bb:latest\nRUN echo pulled > /p\n' "$reg" >"$work/ctx/Dockerfile"
"$buildtool" build --root "$work/empty" --progress plain -o "type=oci,dest=$work/built.tar" "$work/ctx" \
  >"$work/log" 2>&1
expect_eq "FROM a registry image builds on an empty root" 0 "$?"
mkdir -p "$work/built" && tar -xf "$work/built.tar" -C "$work/built"
m=$(jq -r '.manifests[0].digest' "$work/built/index.json")
expect_eq "the base layer is the registry's very blob" "$(jq -r '.Layers[0]' <<<"$remote")" \
  "$(jq -r '.layers[0].digest' "$work/built/blobs/sha256/${m#sha256:}")"

# A multi-platform index: the amd64 image and an arm64 one (its config says arm64).
layout=$work/multi
mkdir -p "$layout" && tar -xf "$work/bb-oci.tar" -C "$layout"
amd=$(jq -r '.manifests[0].digest' "$layout/index.json")
amd_size=$(jq -r '.manifests[0].size' "$layout/index.json")
cfg=$(jq -r '.config.digest' "$layout/blobs/sha256/${amd#sha256:}")
jq -c '.architecture = "arm64"' "$layout/blobs/sha256/${cfg#sha256:}" >"$work/arm-config"
acfg=$(sha256sum "$work/arm-config" | cut -d' ' -f1); cp "$work/arm-config" "$layout/blobs/sha256/$acfg"
jq -c --arg d "sha256:$acfg" --argjson n "$(stat -c %s "$work/arm-config")" '.config.digest = $d | .config.size = $n' \
  "$layout/blobs/sha256/${amd#sha256:}" >"$work/arm-manifest"
arm=$(sha256sum "$work/arm-manifest" | cut -d' ' -f1); cp "$work/arm-manifest" "$layout/blobs/sha256/$arm"
jq -nc --arg amd "$amd" --argjson asz "$amd_size" --arg arm "sha256:$arm" --argjson ars "$(stat -c %s "$work/arm-manifest")" \
  '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
     {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $arm, size: $ars, platform: {architecture: "arm64", os: "linux"}},
     {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $amd, size: $asz, platform: {architecture: "amd64", os: "linux"}}]}' \
  >"$work/index-blob"
idx=$(sha256sum "$work/index-blob" | cut -d' ' -f1); cp "$work/index-blob" "$layout/blobs/sha256/$idx"
jq -nc --arg d "sha256:$idx" --argjson n "$(stat -c %s "$work/index-blob")" \
  '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $n, annotations: {"org.opencontainers.image.ref.name": "multi"}}]}' \
  >"$layout/index.json"
skopeo copy -q --all --dest-tls-verify=false "oci:$layout:multi" "docker://$reg/multi:1" ||
  fail "skopeo could not push the index"
printf 'FROM %s/multi:1\nRUN true\n' "$reg" >"$work/ctx/Dockerfile.multi"
"$buildtool" build --root "$work/root" --progress plain -f "$work/ctx/Dockerfile.multi" \
  -o "type=oci,dest=$work/multi.tar" "$work/ctx" >"$work/log" 2>&1
expect_eq "FROM an index builds" 0 "$?"
# skopeo may recompress while pushing: the registry's own index says what amd64 is there.
remote_amd=$(skopeo inspect --raw --tls-verify=false "docker://$reg/multi:1" |
  jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest')
expect_eq "the index resolves to this platform's manifest" "$remote_amd" \
  "$("$buildtool" inspect --root "$work/root" "$reg/multi:1" | jq -r .Digest)"
mkdir -p "$work/mb" && tar -xf "$work/multi.tar" -C "$work/mb"
mm=$(jq -r '.manifests[0].digest' "$work/mb/index.json")
mc=$(jq -r '.config.digest' "$work/mb/blobs/sha256/${mm#sha256:}")
expect_eq "the image built on it is amd64" amd64 "$(jq -r .architecture "$work/mb/blobs/sha256/${mc#sha256:}")"
"$buildtool" pull --root "$work/root" --platform linux/s390x "$reg/multi:1" >"$work/log" 2>&1
[ $? = 1 ] && grep -q "has no linux/s390x variant" "$work/log" && ok "a platform the index lacks is a clear error" ||
  fail "s390x: $(cat "$work/log")"

# --pull after the tag moved: the new image, not the stored one.
skopeo copy -q --dest-tls-verify=false "oci-archive:$work/built.tar" "docker://$reg/bb:latest"
moved=$(skopeo inspect --tls-verify=false "docker://$reg/bb:latest" | jq -r .Digest)
"$buildtool" build --root "$work/root" --progress plain --pull -t after-pull:1 "$work/ctx" >"$work/log" 2>&1
expect_eq "--pull builds" 0 "$?"
expect_eq "--pull fetched the moved tag" "$moved" "$("$buildtool" inspect --root "$work/root" "$reg/bb:latest" | jq -r .Digest)"

# Push: a stored image goes up as it is (same digest as skopeo then sees), a second push
# uploads nothing, and a build's --push is pulled back unchanged by an empty root.
"$buildtool" tag --root "$work/root" "$reg/bb:latest" "$reg/pushed:1"
out=$("$buildtool" push --root "$work/root" "$reg/pushed:1" 2>&1)
# Its blobs are in the registry's bb repository already (the store knows it pulled them from
# there): mounted, not uploaded.
grep -q "0 blobs uploaded (0 bytes), [1-9][0-9]* mounted" <<<"$out" &&
  ok "blobs of another repository of the registry are mounted, not uploaded" || fail "mount: $out"
expect_eq "push sends the stored image unchanged" "$("$buildtool" inspect --root "$work/root" "$reg/pushed:1" | jq -r .Digest)" \
  "$(skopeo inspect --tls-verify=false "docker://$reg/pushed:1" | jq -r .Digest)"
out=$("$buildtool" push --root "$work/root" "$reg/pushed:1" 2>&1)
grep -q "0 blobs uploaded (0 bytes), 0 mounted" <<<"$out" && ok "a second push uploads nothing" ||
  fail "second push: $out"
printf 'FROM %s/bb:latest\nRUN echo pushed > /q\n' "$reg" >"$work/ctx/Dockerfile.push"
"$buildtool" build --root "$work/root" --progress plain --push -t "$reg/built:1" -f "$work/ctx/Dockerfile.push" \
  "$work/ctx" >"$work/stdout" 2>"$work/log"
expect_eq "build --push exits 0" 0 "$?"
expect_eq "the registry has what the build printed" "$(tail -n 1 "$work/stdout")" \
  "$(skopeo inspect --tls-verify=false "docker://$reg/built:1" | jq -r .Digest)"
expect_eq "an empty root pulls the pushed image back unchanged" "$(tail -n 1 "$work/stdout")" \
  "$("$buildtool" pull --root "$work/again" "$reg/built:1")"
"$buildtool" build --root "$work/root" --push "$work/ctx" >"$work/log" 2>&1
[ $? = 2 ] && grep -q "needs -t" "$work/log" && ok "--push without -t is refused" || fail "--push alone: $(cat "$work/log")"

# A registry behind htpasswd Basic auth: refused without a login, then `buildtool login`
# (checked against the registry, stored in $DOCKER_CONFIG/config.json as docker stores it),
# then pull and push work; a wrong password is refused and not stored. The registry speaks
# plain HTTP, so the password crosses only with --insecure-registry (SECURITY.md case 36).
auth_port=$((port + 1))
htpasswd -Bbn builder s3cret >"$work/htpasswd"
sed -e "s|addr: 127.0.0.1:$port|addr: 127.0.0.1:$auth_port|" -e "s|$work/data|$work/authdata|" "$work/config.yml" >"$work/auth.yml"
cat >>"$work/auth.yml" <<EOF
auth:
  htpasswd:
    realm: buildtool-test
    path: $work/htpasswd
EOF
start_registry "$work/auth.yml" answers 401 "http://127.0.0.1:$auth_port/v2/"
areg=127.0.0.1:$auth_port
export DOCKER_CONFIG=$work/docker-config
skopeo copy -q --dest-tls-verify=false --dest-creds builder:s3cret "oci-archive:$work/bb-oci.tar" "docker://$areg/private:1"
"$buildtool" pull --root "$work/authroot" "$areg/private:1" >"$work/log" 2>&1
[ $? = 1 ] && grep -q "asks for a login: buildtool login $areg" "$work/log" && ok "a private registry without a login is a clear error" ||
  fail "no login: $(cat "$work/log")"
echo s3cret | "$buildtool" login "$areg" -u builder --password-stdin >"$work/log" 2>&1
[ $? = 1 ] && grep -q "over plain HTTP.*--insecure-registry $areg" "$work/log" && [ ! -f "$DOCKER_CONFIG/config.json" ] &&
  ok "a login over plain HTTP needs --insecure-registry" || fail "plain HTTP login: $(cat "$work/log")"
echo wrong | "$buildtool" login --insecure-registry "$areg" "$areg" -u builder --password-stdin >"$work/log" 2>&1
[ $? = 1 ] && grep -q "refused" "$work/log" && [ ! -f "$DOCKER_CONFIG/config.json" ] &&
  ok "a wrong password is refused and not stored" || fail "wrong password: $(cat "$work/log")"
echo s3cret | "$buildtool" login --insecure-registry "$areg" "$areg" -u builder --password-stdin >"$work/log" 2>&1
expect_eq "login checks and stores the credentials" 0 "$?"
expect_eq "stored as docker stores them" "$(printf 'builder:s3cret' | base64)" \
  "$(jq -r --arg h "$areg" '.auths[$h].auth' "$DOCKER_CONFIG/config.json")"
expect_eq "config.json is readable by its owner only" 600 "$(stat -c %a "$DOCKER_CONFIG/config.json")"
expect_eq "pull with the login" "$(skopeo inspect --tls-verify=false --creds builder:s3cret "docker://$areg/private:1" | jq -r .Digest)" \
  "$("$buildtool" pull --root "$work/authroot" --insecure-registry "$areg" "$areg/private:1" 2>&1)"
"$buildtool" pull --root "$work/authroot2" "$areg/private:1" >"$work/log" 2>&1
[ $? = 1 ] && grep -q "over plain HTTP" "$work/log" && ok "a stored login is not sent over plain HTTP unasked" ||
  fail "stored login over HTTP: $(cat "$work/log")"
"$buildtool" tag --root "$work/authroot" "$areg/private:1" "$areg/private:2"
"$buildtool" push --root "$work/authroot" --insecure-registry "$areg" "$areg/private:2" >"$work/log" 2>&1
expect_eq "push with the login" 0 "$?"
"$buildtool" logout "$areg" >/dev/null
expect_eq "logout forgets it" null "$(jq -r --arg h "$areg" '.auths[$h].auth // null' "$DOCKER_CONFIG/config.json")"
unset DOCKER_CONFIG

# A registry that speaks only TLS, with a certificate from a CA the test makes, given to
# buildtool as docker keeps such CAs (<certs.d>/<HOST:PORT>/ca.crt, here BUILDTOOL_CERTS_DIR).
tls_port=$((port + 2))
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=buildtool test CA" \
  -keyout "$work/ca.key" -out "$work/ca.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$work/tls.key" -out "$work/tls.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >"$work/san.ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
  -extfile "$work/san.ext" -out "$work/tls.crt" >/dev/null 2>&1
sed -e "s|addr: 127.0.0.1:$port|addr: 127.0.0.1:$tls_port|" -e "s|$work/data|$work/tlsdata|" "$work/config.yml" >"$work/tls.yml"
cat >>"$work/tls.yml" <<EOF
  tls:
    certificate: $work/tls.crt
    key: $work/tls.key
EOF
start_registry "$work/tls.yml" curl -s --cacert "$work/ca.crt" -o /dev/null "https://127.0.0.1:$tls_port/v2/"
treg=127.0.0.1:$tls_port
mkdir -p "$work/certs.d/$treg" && cp "$work/ca.crt" "$work/certs.d/$treg/ca.crt"
export BUILDTOOL_CERTS_DIR=$work/certs.d
"$buildtool" tag --root "$work/root" "$reg/bb:latest" "$treg/secure:1"
"$buildtool" push --root "$work/root" "$treg/secure:1" >"$work/log" 2>&1
expect_eq "push over TLS with the registry's CA" 0 "$?"
grep -q "warning" "$work/log" && fail "push with the CA: $(cat "$work/log")" || ok "... verified: no warning"
expect_eq "pull over TLS gives back the same image" \
  "$("$buildtool" inspect --root "$work/root" "$treg/secure:1" | jq -r .Digest)" \
  "$("$buildtool" pull --root "$work/tlsroot" "$treg/secure:1" 2>&1)"
# Without the CA the certificate does not verify: a loopback registry is still spoken to (as
# docker allows), and the user is told.
BUILDTOOL_CERTS_DIR=$work/empty-certs.d "$buildtool" pull --root "$work/tlsroot2" "$treg/secure:1" >"$work/log" 2>&1
[ $? = 0 ] && grep -q "warning: $treg: its TLS certificate does not verify" "$work/log" &&
  ok "without the CA: pulled, with a warning that TLS is not verified" || fail "unverified TLS: $(cat "$work/log")"
curl -s --cacert "$work/ca.crt" "https://$treg/v2/secure/tags/list" | grep -q '"1"' &&
  ok "the TLS registry has the tag (curl with the CA)" || fail "the TLS registry lacks the tag"
unset BUILDTOOL_CERTS_DIR

# Errors that name what is missing.
printf 'FROM %s/nosuch:1\n' "$reg" >"$work/ctx/Dockerfile.no"
"$buildtool" build --root "$work/root" -f "$work/ctx/Dockerfile.no" "$work/ctx" >"$work/log" 2>&1
[ $? = 1 ] && grep -q "nosuch:1: manifest 1 not found" "$work/log" && grep -q "Dockerfile.no:1" "$work/log" &&
  ok "an unknown image is an error naming it and the line" || fail "unknown image: $(cat "$work/log")"

[ $failures = 0 ] && echo "registry: all checks passed" || echo "registry: $failures failed"
[ $failures = 0 ]
