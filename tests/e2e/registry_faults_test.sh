#!/usr/bin/env bash
# Hostile and failing registries (SECURITY.md cases 31-38): Debian's CNCF distribution
# registry on 127.0.0.1 behind tests/support/fault_proxy.py, whose rules break one answer at
# a time — flipped, cut, stalled, padded or lying blobs and manifests, crafted documents,
# auth challenges, 4xx/5xx, redirects to another host, push answers that lie. Each case is a
# pull or push on an empty root: it must either succeed with the right digest (resumed,
# retried) or fail with a clear message, and nothing wrong may be stored. The proxy logs every
# request with its headers, so the test checks what was retried, resumed with Range, and
# where credentials went.
#
#   registry_faults_test.sh BUILDTOOL SOURCE_DIR
set -uo pipefail
export LC_ALL=C
buildtool=$1
source_dir=$2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

for tool in docker-registry skopeo jq curl htpasswd python3; do
  command -v "$tool" >/dev/null || { echo "FAILED: $tool is missing (.ci/install-deps)"; exit 1; }
done
if [ "$(id -u)" != 0 ]; then echo "SKIPPED: needs root"; exit 0; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bt-e2e-faults.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(shuf -i 20000-45000 -n 1)
    curl -s -o /dev/null "http://127.0.0.1:$p/" || { echo "$p"; return; }
  done
}
# start_registry NAME [AUTH]: a registry on a free port; prints nothing, sets ${NAME}_port.
start_registry() {
  local name=$1 port
  port=$(free_port)
  cat >"$work/$name.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/$name-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  if [ "${2:-}" = auth ]; then
    printf 'auth:\n  htpasswd:\n    realm: faults\n    path: %s\n' "$work/htpasswd" >>"$work/$name.yml"
  fi
  docker-registry serve "$work/$name.yml" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && { eval "${name}_port=$port"; return; }
    sleep 0.1
  done
  echo "FAILED: registry $name did not start: $(tail -n 3 "$work/$name.log")"; exit 1
}
# start_proxy NAME UPSTREAM_PORT LISTEN...: sets ${NAME}_addrs (one IP:PORT per listener).
start_proxy() {
  local name=$1 upstream=$2; shift 2
  local listens=()
  for l in "$@"; do listens+=(--listen "$l"); done
  : >"$work/$name.rules"
  python3 "$source_dir/tests/support/fault_proxy.py" --upstream "http://127.0.0.1:$upstream" "${listens[@]}" \
    --rules "$work/$name.rules" --log "$work/$name.jsonl" --ready "$work/$name.ready" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 1 50); do [ -s "$work/$name.ready" ] && break; sleep 0.1; done
  [ -s "$work/$name.ready" ] || { echo "FAILED: proxy $name did not start: $(cat "$work/$name.err")"; exit 1; }
  eval "${name}_addrs=(\$(cat \"\$work/\$name.ready\"))"
}
# rules NAME JSON: the proxy's rules from now on (written whole, then renamed).
rules() { printf '%s' "$2" >"$work/$1.rules.tmp" && mv "$work/$1.rules.tmp" "$work/$1.rules"; }
# mark NAME / since NAME: the proxy's log lines written after the mark.
declare -A marks
mark() { marks[$1]=$(wc -l <"$work/$1.jsonl" 2>/dev/null || echo 0); }
since() { tail -n +"$((${marks[$1]} + 1))" "$work/$1.jsonl"; }
count() { since "$1" | jq -c "select($2)" | wc -l; }  # NAME JQ_CONDITION

htpasswd -Bbn builder s3cret >"$work/htpasswd"
start_registry plain
start_registry private auth
start_proxy p "$plain_port" 127.0.0.1:0 127.0.0.2:0
start_proxy q "$private_port" 127.0.0.1:0
preg=${p_addrs[0]}       # the plain registry, through the proxy
other=${p_addrs[1]}      # the same proxy on another host (127.0.0.2): "somewhere else"
qreg=${q_addrs[0]}       # the private registry, through its proxy

# The base: busybox-static's rootfs as a one-layer image, in both registries.
sh "$source_dir/tests/example/make-busybox-rootfs.sh" "$work/bb" >/dev/null
tar -C "$work/bb" --numeric-owner -cf "$work/bb.tar" .
"$buildtool" import --root "$work/seed" "$work/bb.tar" bb:1 >/dev/null
"$buildtool" save --root "$work/seed" bb:1 -o "$work/bb-oci.tar"
skopeo copy -q --dest-tls-verify=false "oci-archive:$work/bb-oci.tar" "docker://127.0.0.1:$plain_port/bb:1" &&
skopeo copy -q --dest-tls-verify=false --dest-creds builder:s3cret "oci-archive:$work/bb-oci.tar" \
  "docker://127.0.0.1:$private_port/bb:1" || { echo "FAILED: skopeo could not push the base"; exit 1; }
curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$plain_port/v2/bb/manifests/1" >"$work/manifest.json"
want=sha256:$(sha256sum <"$work/manifest.json" | cut -d' ' -f1)
layer=$(jq -r '.layers[0].digest' "$work/manifest.json")
layer_size=$(jq -r '.layers[0].size' "$work/manifest.json")
config=$(jq -r '.config.digest' "$work/manifest.json")
blob_path="/v2/bb/blobs/$layer"
echo "base: $want, layer $layer ($layer_size bytes)"

# pull [ENV=VALUE...] -- ARGS: a pull on a new, empty root; sets rc, out (its output), root.
n=0
pull() {
  local env=()
  while [ "$1" != -- ]; do env+=("$1"); shift; done; shift
  n=$((n + 1)); root=$work/root.$n
  out=$(env "${env[@]}" "$buildtool" pull --root "$root" "$@" 2>&1); rc=$?
}
# The pull must have worked and stored exactly the registry's image.
expect_pulled() {
  if [ "$rc" = 0 ] && [ "$out" = "$want" ] && [ -f "$root/blobs/sha256/${layer#sha256:}" ] &&
     [ "$(sha256sum <"$root/blobs/sha256/${layer#sha256:}" | cut -d' ' -f1)" = "${layer#sha256:}" ]; then
    ok "$1"
  else fail "$1: rc=$rc $out"; fi
}
# The pull must have failed with MESSAGE, with no layer blob and no damage in the root.
expect_refused() {
  local what=$1 message=$2
  if [ "$rc" = 0 ]; then fail "$what: succeeded"; return; fi
  if ! grep -q -- "$message" <<<"$out"; then fail "$what: expected [$message] in: $out"; return; fi
  if [ -e "$root/blobs/sha256/${layer#sha256:}" ]; then fail "$what: the layer blob was stored"; return; fi
  if ! "$buildtool" du --root "$root" --check >/dev/null 2>&1; then fail "$what: du --check finds damage"; return; fi
  ok "$what: $(head -n 1 <<<"$out" | cut -c1-150)"
}

# --- Case 31: content verification ---------------------------------------------------------
mark p; rules p '[{"id":"flip","method":"GET","path":"'"$blob_path"'","flip_byte":1000}]'
pull -- "$preg/bb:1"
expect_refused "31 a layer with one byte flipped is refused" "content is sha256:.*, expected $layer"
[ "$(count p ".path == \"$blob_path\"")" = 1 ] && ok "31 corruption is not retried" ||
  fail "31 corruption fetched $(count p ".path == \"$blob_path\"") times"

mark p; rules p '[{"id":"cut","times":1,"method":"GET","path":"'"$blob_path"'","truncate_fraction":0.5}]'
pull -- "$preg/bb:1"
expect_pulled "31 a layer cut at 50% with a matching Content-Length is resumed"
since p | jq -r "select(.path == \"$blob_path\") | .headers.Range // \"-\"" | tr '\n' ' ' | grep -q "^- bytes=$((layer_size / 2))- $" &&
  ok "31 ... with Range from byte $((layer_size / 2))" || fail "31 resume requests: $(since p | jq -c "select(.path == \"$blob_path\") | .headers.Range")"

mark p; rules p '[{"id":"long","times":1,"method":"GET","path":"'"$blob_path"'","set_headers":{"Content-Length":"'"$((layer_size + 5000))"'"}}]'
pull -- "$preg/bb:1"
expect_pulled "31 a Content-Length larger than the body: the bytes that came are the blob, verified"

mark p; rules p '[{"id":"pad","method":"GET","path":"'"$blob_path"'","append":"trailing bytes after the gzip stream"}]'
pull -- "$preg/bb:1"
expect_refused "31 extra bytes after the layer are refused" "longer than its $layer_size bytes"

mark p; rules p '[{"id":"liar","method":"GET","path":"/v2/bb/manifests/1","set_headers":{"Docker-Content-Digest":"sha256:'"$(printf '%064d' 0)"'"}}]'
pull -- "$preg/bb:1"
expect_refused "31 a tag whose Docker-Content-Digest lies is refused" "the registry says"

{ cat "$work/manifest.json"; echo " "; } >"$work/other-manifest.json"  # the same JSON, other bytes
mark p; rules p '[{"id":"swap","method":"GET","path":"/v2/bb/manifests/sha256:","replace_body_file":"'"$work/other-manifest.json"'"}]'
pull -- "$preg/bb@$want"
expect_refused "31 a manifest by digest with other bytes is refused" "not $want"

sed 's/^{/{"layers":[],/' "$work/manifest.json" >"$work/dup.json"  # an empty "layers", then the real one
mark p; rules p '[{"id":"dup","method":"GET","path":"/v2/bb/manifests/1","replace_body_file":"'"$work/dup.json"'","drop_headers":["Docker-Content-Digest"]}]'
pull -- "$preg/bb:1"
expect_refused "31 a manifest naming \"layers\" twice is refused" '"layers" appears twice'

# --- Case 32: diff_ids that do not match the layers -----------------------------------------
# Crafted images, uploaded with curl: the config's diff_ids doubled, or the one replaced.
upload() {  # REPO FILE: the blob's digest
  local digest location
  digest=sha256:$(sha256sum <"$2" | cut -d' ' -f1)
  location=$(curl -s -D - -o /dev/null -X POST "http://127.0.0.1:$plain_port/v2/$1/blobs/uploads/" | tr -d '\r' | sed -n 's/^Location: //Ip')
  case $location in /*) location=http://127.0.0.1:$plain_port$location;; esac
  curl -s -f -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$2" \
    "$location$(case $location in *\?*) echo '&';; *) echo '?';; esac)digest=$digest" || echo "upload of $2 failed" >&2
  echo "$digest"
}
put_manifest() {  # REPO REF FILE MEDIA_TYPE
  curl -s -f -o /dev/null -X PUT -H "Content-Type: $4" --data-binary "@$3" "http://127.0.0.1:$plain_port/v2/$1/manifests/$2" ||
    echo "manifest $1:$2 was refused by the registry" >&2
}
curl -s "http://127.0.0.1:$plain_port/v2/bb/blobs/$config" >"$work/config.json"
curl -s "http://127.0.0.1:$plain_port/v2/bb/blobs/$layer" >"$work/layer.gz"
craft() {  # REPO JQ_ON_CONFIG: an image with the real layer and a changed config
  jq -c "$2" "$work/config.json" >"$work/$1-config.json"
  upload "$1" "$work/layer.gz" >/dev/null
  local c; c=$(upload "$1" "$work/$1-config.json")
  jq -c --arg d "$c" --argjson s "$(stat -c %s "$work/$1-config.json")" '.config.digest = $d | .config.size = $s' \
    "$work/manifest.json" >"$work/$1-manifest.json"
  put_manifest "$1" 1 "$work/$1-manifest.json" "$(jq -r .mediaType "$work/manifest.json")"
}
craft twice '.rootfs.diff_ids += .rootfs.diff_ids'
craft wrongid '.rootfs.diff_ids = ["sha256:'"$(printf '%064d' 1)"'"]'
pull -- "$preg/twice:1"
expect_refused "32 more diff_ids than layers is refused" "layers from manifest don't match image configuration"
[ -z "$("$buildtool" images --root "$root" 2>/dev/null | grep twice)" ] && ok "32 ... and not stored as an image" || fail "32 the image was stored"
mkdir -p "$work/ctx"; printf 'FROM %s/wrongid:1\nRUN true\n' "$preg" >"$work/ctx/Dockerfile"
out=$("$buildtool" build --root "$work/root.wrongid" "$work/ctx" 2>&1); rc=$?
[ "$rc" != 0 ] && grep -q "unpacks to" <<<"$out" && ok "32 a wrong diff_id is refused before the layer is used" ||
  fail "32 wrong diff_id: rc=$rc $(tail -n 3 <<<"$out")"

# --- Case 33: ambiguous documents and deep nesting -----------------------------------------
jq -c '. + {"manifests": []}' "$work/manifest.json" >"$work/both.json"
mark p; rules p '[{"id":"both","method":"GET","path":"/v2/bb/manifests/1","replace_body_file":"'"$work/both.json"'","drop_headers":["Docker-Content-Digest"]}]'
pull -- "$preg/bb:1"
expect_refused "33 a document with both manifests and layers is refused" "ambiguous"
mark p; rules p '[{"id":"type","method":"GET","path":"/v2/bb/manifests/1","set_headers":{"Content-Type":"application/vnd.oci.image.index.v1+json"}}]'
pull -- "$preg/bb:1"
expect_refused "33 a body mediaType that contradicts the Content-Type is refused" "served as"
rules p '[]'
child=$want; child_type=$(jq -r .mediaType "$work/manifest.json"); child_size=$(stat -c %s "$work/manifest.json")
for depth in $(seq 1 9); do
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"%s","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}}]}' \
    "$child_type" "$child" "$child_size" >"$work/index$depth.json"
  put_manifest bb "deep$depth" "$work/index$depth.json" application/vnd.oci.image.index.v1+json
  child=sha256:$(sha256sum <"$work/index$depth.json" | cut -d' ' -f1); child_type=application/vnd.oci.image.index.v1+json
  child_size=$(stat -c %s "$work/index$depth.json")
done
pull -- "$preg/bb:deep8"
[ "$rc" = 0 ] && ok "33 indexes nested 8 deep resolve" || fail "33 depth 8: $out"
pull -- "$preg/bb:deep9"
expect_refused "33 indexes nested 9 deep are refused" "nested deeper than 8"

# --- Case 34: size bombs --------------------------------------------------------------------
mark p; rules p '[{"id":"huge","method":"GET","path":"/v2/bb/manifests/1","action":"big_body","size":50000000,"headers":{"Content-Type":"application/vnd.oci.image.manifest.v1+json"}}]'
pull -- "$preg/bb:1"
expect_refused "34 a 50 MB manifest is refused" "limit\|over the cap\|body"
mark p; rules p '[{"id":"endless","method":"GET","path":"/v2/bb/manifests/1","action":"endless","headers":{"Content-Type":"application/vnd.oci.image.manifest.v1+json"}}]'
start=$EPOCHREALTIME
pull -- "$preg/bb:1"
expect_refused "34 an endless manifest body is refused" "limit\|over the cap\|body"
jq -c '.config.size = 1073741824' "$work/manifest.json" >"$work/bigconfig.json"
mark p; rules p '[{"id":"bigconfig","method":"GET","path":"/v2/bb/manifests/1","replace_body_file":"'"$work/bigconfig.json"'","drop_headers":["Docker-Content-Digest"]}]'
pull -- "$preg/bb:1"
expect_refused "34 a 1 GB config is refused" "over the limit of 16777216"
[ "$(count p '.path | test("/blobs/")')" = 0 ] && ok "34 ... before any blob is fetched" || fail "34 blobs were fetched"

# --- Case 35: credentials stay home ---------------------------------------------------------
export DOCKER_CONFIG=$work/docker-config
echo s3cret | "$buildtool" login --insecure-registry "$qreg" "$qreg" -u builder --password-stdin >/dev/null 2>&1 ||
  fail "35 login to the private registry"
# The private registry's blob answers send the client to another host (as registries send
# it to a CDN): that host serves the blob, and must never see the login.
mark p; mark q
rules q '[{"id":"cdn","method":"GET","path":"/v2/bb/blobs/","action":"redirect","location":"http://'"$other"'{path}"}]'
pull -- --insecure-registry "$qreg" "$qreg/bb:1"
expect_pulled "35 a blob redirected to another host is fetched there"
[ "$(count q '.headers.Authorization != null')" -gt 0 ] && [ "$(count p ".listener == \"$other\"")" -ge 2 ] &&
  [ "$(count p ".listener == \"$other\" and .headers.Authorization != null")" = 0 ] &&
  ok "35 the login went to the registry only, never to the other host" ||
  fail "35 credentials: registry $(count q '.headers.Authorization != null'), other host $(count p ".listener == \"$other\" and .headers.Authorization != null") of $(count p ".listener == \"$other\"")"
grep -rq s3cret "$root" && fail "35 the password is in the root" || ok "35 the password is nowhere in the root"
rules q '[]'
unset DOCKER_CONFIG

# --- Case 36: auth edge cases ---------------------------------------------------------------
challenge() {  # WWW-Authenticate value, expected message
  mark p; rules p "$(jq -cn --arg c "$1" '[{"id":"auth","path":"^/v2/","action":"status","status":401,"headers":{"WWW-Authenticate":$c}}]')"
  pull -- "$preg/bb:1"
  expect_refused "36 challenge ${3:-$1}" "$2"
}
challenge 'Bearer service="registry"' "names no realm"
challenge 'Bearer realm="http://127.0.0.1:1/token' "cannot answer" "with an unterminated quote"
challenge "Bearer $(seq -s, -f 'p%g=1' 1 10000)" "names no realm" "with 10,000 parameters"
challenge 'Negotiate abc' "cannot answer"
mark p; rules p '[{"id":"forbidden","path":"/manifests/","action":"status","status":403}]'
pull -- "$preg/bb:1"
expect_refused "36 403 is an error" "HTTP 403"
[ "$(count p '.path | test("/manifests/")')" = 1 ] && ok "36 403 is not retried" || fail "36 403 asked $(count p '.path | test("/manifests/")') times"

# --- Case 37: transient faults and resume ---------------------------------------------------
mark p; rules p '[{"id":"busy","times":1,"path":"/manifests/","action":"status","status":429,"headers":{"Retry-After":"2"}}]'
start=${EPOCHREALTIME/./}
pull -- "$preg/bb:1"
elapsed=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
expect_pulled "37 429 is retried"
[ "$elapsed" -ge 2000 ] && ok "37 ... after the 2 s Retry-After (${elapsed} ms)" || fail "37 Retry-After not honoured: ${elapsed} ms"
for status in 500 502 503 504; do
  mark p; rules p '[{"id":"e'"$status"'","times":2,"path":"/blobs/","action":"status","status":'"$status"'}]'
  pull -- "$preg/bb:1"
  expect_pulled "37 $status twice in a row is retried"
done
mark p; rules p '[{"id":"down","path":"/manifests/","action":"status","status":503}]'
pull -- "$preg/bb:1"
expect_refused "37 a registry that stays down is an error" "HTTP 503"
[ "$(count p '.path | test("/manifests/")')" = 5 ] && ok "37 ... after 5 attempts" || fail "37 attempts: $(count p '.path | test("/manifests/")')"

mark p; rules p '[{"id":"r30","times":1,"method":"GET","path":"'"$blob_path"'","drop_fraction":0.3},
                  {"id":"r80","times":1,"method":"GET","path":"'"$blob_path"'","drop_fraction":0.7}]'
pull -- "$preg/bb:1"
expect_pulled "37 resets at 30% and 80% of a layer are resumed"
ranges=$(since p | jq -r "select(.path == \"$blob_path\") | .headers.Range // \"-\"" | tr '\n' ' ')
first=$(awk '{print $2}' <<<"$ranges" | sed 's/bytes=\([0-9]*\)-/\1/'); second=$(awk '{print $3}' <<<"$ranges" | sed 's/bytes=\([0-9]*\)-/\1/')
if [[ "$first" =~ ^[0-9]+$ ]] && [[ "$second" =~ ^[0-9]+$ ]] && [ "$first" -ge $((layer_size * 25 / 100)) ] && [ "$second" -gt "$first" ]; then
  ok "37 ... with Range from bytes $first and $second of $layer_size"
else fail "37 resume requests: $ranges"; fi

mark p; rules p '[{"id":"stall","times":1,"method":"GET","path":"'"$blob_path"'","stall_after":100000,"stall":60}]'
start=${EPOCHREALTIME/./}
pull BUILDTOOL_REGISTRY_READ_TIMEOUT=2 -- "$preg/bb:1"
elapsed=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
expect_pulled "37 a stalled layer is abandoned and resumed"
[ "$elapsed" -lt 20000 ] && ok "37 ... by the read timeout (${elapsed} ms, not the 60 s stall)" || fail "37 stall took ${elapsed} ms"

mark p; rules p '[{"id":"trickle","times":1,"method":"GET","path":"'"$blob_path"'","trickle":20000}]'
pull BUILDTOOL_REGISTRY_DEADLINE=2 -- "$preg/bb:1"
expect_pulled "37 a trickling layer hits the request deadline and is resumed"
[ "$(count p ".path == \"$blob_path\" and .headers.Range != null")" = 1 ] && ok "37 ... with one Range request" ||
  fail "37 trickle: $(count p ".path == \"$blob_path\"") requests"

mark p; rules p '[{"id":"half","times":1,"method":"GET","path":"'"$blob_path"'","drop_fraction":0.5},
                  {"id":"norange","method":"GET","path":"'"$blob_path"'","ignore_range":true}]'
pull -- "$preg/bb:1"
expect_pulled "37 a registry that ignores Range sends the layer again, still verified"
[ "$(count p ".path == \"$blob_path\" and .headers.Range != null and .status == 200")" = 1 ] && ok "37 ... (its 200 answer to Range was taken from the start)" ||
  fail "37 ignored Range: $(since p | jq -c "select(.path == \"$blob_path\") | [.headers.Range, .status]")"

mark p; rules p '[{"id":"half2","times":1,"method":"GET","path":"'"$blob_path"'","drop_fraction":0.5},
                  {"id":"badrange","method":"GET","path":"'"$blob_path"'","set_headers":{"Content-Range":"bytes 0-9/'"$layer_size"'"}}]'
pull -- "$preg/bb:1"
expect_refused "37 an unexpected Content-Range is an error" "Content-Range"

# --- Case 38: push robustness ---------------------------------------------------------------
rules p '[]'
"$buildtool" pull --root "$work/pushroot" "$preg/bb:1" >/dev/null 2>&1 || fail "38 setup: pull"
push() {  # NAME: tags the base as NAME and pushes it; sets rc, out
  "$buildtool" tag --root "$work/pushroot" "$preg/bb:1" "$preg/$1" >/dev/null
  out=$("$buildtool" push --root "$work/pushroot" "$preg/$1" 2>&1); rc=$?
}
no_mount='{"id":"nomount","method":"POST","path":"mount=","action":"status","status":202,"headers":{"Location":"/v2/x/blobs/uploads/unused"}}'
mark p; rules p "[$no_mount]"
push mount202:1
[ "$rc" = 0 ] && [ "$(count p '.method == "PUT" and (.path | test("/blobs/uploads/"))')" = 2 ] &&
  ok "38 a mount answered 202 falls back to uploads" || fail "38 mount 202: rc=$rc $out"
mark p; rules p "[$no_mount"',{"id":"liar","method":"PUT","path":"/blobs/uploads/","set_headers":{"Docker-Content-Digest":"sha256:'"$(printf '%064d' 2)"'"}}]'
push liar:1
[ "$rc" != 0 ] && grep -q "the registry stored" <<<"$out" && [ "$(count p '.method == "PUT" and (.path | test("/manifests/"))')" = 0 ] &&
  ok "38 an upload answered with another digest fails before the manifest" || fail "38 lying upload: rc=$rc $out"
mark p; rules p '[{"id":"unknown","method":"PUT","path":"/manifests/","action":"status","status":400,"body":{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}}]'
push unknown:1
[ "$rc" != 0 ] && grep -q "MANIFEST_BLOB_UNKNOWN" <<<"$out" && ok "38 MANIFEST_BLOB_UNKNOWN is an error naming it" || fail "38 manifest refused: rc=$rc $out"
mark p; rules p "[$no_mount"',{"id":"away","method":"POST","path":"/blobs/uploads/$","action":"status","status":202,"headers":{"Location":"http://'"$other"'/v2/away/blobs/uploads/x"}}]'
push away:1
[ "$rc" != 0 ] && grep -q "is not on" <<<"$out" && [ "$(count p ".listener == \"$other\"")" = 0 ] &&
  ok "38 an upload Location on another host is not followed" || fail "38 foreign Location: rc=$rc $out"
mark p; rules p "[$no_mount"',{"id":"once","times":1,"method":"PUT","path":"/blobs/uploads/","action":"status","status":502}]'
push retried:1
[ "$rc" = 0 ] && [ "$(count p '.method == "PUT" and (.path | test("/blobs/uploads/"))')" = 3 ] &&
  ok "38 an upload answered 502 after its body is sent again in a new session" || fail "38 upload retry: rc=$rc $out"
# Only the layer's upload keeps failing (the PUT names its digest): the config goes through.
mark p; rules p "[$no_mount"',{"id":"broken","method":"PUT","path":"/blobs/uploads/.*digest=sha256%3A'"${layer#sha256:}"'","action":"status","status":502}]'
push again:1
first_rc=$rc
[ "$first_rc" != 0 ] && grep -q "HTTP 502" <<<"$out" && ok "38 uploads that keep failing end the push with the registry's answer" ||
  fail "38 failing uploads: rc=$rc $out"
mark p; rules p "[$no_mount]"
push again:1
heads_missing=$(count p '.method == "HEAD" and .status == 404')
uploads=$(count p '.method == "PUT" and (.path | test("/blobs/uploads/"))')
[ "$first_rc" != 0 ] && [ "$rc" = 0 ] && [ "$uploads" = "$heads_missing" ] && [ "$uploads" = 1 ] &&
  ok "38 after a failed upload, the second push uploads only what is missing ($uploads)" ||
  fail "38 second push: first rc=$first_rc rc=$rc uploads=$uploads missing=$heads_missing $out"
mark p; rules p "[$no_mount"',{"id":"slow","method":"PUT","path":"/blobs/uploads/","delay":5}]'
"$buildtool" tag --root "$work/pushroot" "$preg/bb:1" "$preg/killed:1" >/dev/null
"$buildtool" push --root "$work/pushroot" "$preg/killed:1" >/dev/null 2>&1 &
victim=$!
sleep 1.5; kill -9 "$victim"; wait "$victim" 2>/dev/null
rules p '[]'
push killed:1
local_digest=$("$buildtool" inspect --root "$work/pushroot" "$preg/killed:1" | jq -r .Digest)
remote_digest=sha256:$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$plain_port/v2/killed/manifests/1" | sha256sum | cut -d' ' -f1)
[ "$rc" = 0 ] && [ "$local_digest" = "$remote_digest" ] && ok "38 a push killed midway and run again gives the local digest" ||
  fail "38 killed push: rc=$rc local=$local_digest remote=$remote_digest $out"

if [ "$failures" -gt 0 ]; then echo "registry faults e2e: $failures failure(s)"; exit 1; fi
echo "registry faults e2e: all passed"
