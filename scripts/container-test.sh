#!/usr/bin/env bash
# Builds the real image from the Dockerfile with podman and runs it as a hospital would: production
# mode, read-only root filesystem, a volume for DATA_DIR, a signed client JWT. Probes health,
# readiness, one order-sign call and one feedback call; restarts on the same volume and finds the
# feedback again; checks the user (uid 1000) and a clean exit on SIGTERM within the grace period.
# Prints the image size and the build time.
#
# No Docker engine and no image registry are assumed: the base image node:20-bookworm-slim is made
# locally with debootstrap and this machine's Node 20 (cached under $AIBL_CI_CACHE), and podman is
# pointed at its own storage and settings. Needs root (rootful podman, debootstrap, chroot).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

CACHE=${AIBL_CI_CACHE:-/var/cache/aibl-ci}
IMAGE=${AIBL_CI_IMAGE:-localhost/aibl-cds:ci}
NAME=aibl-cds-ci-$$
VOLUME=aibl-cds-ci-data-$$
GRACE_S=10
BASE_TAG=docker.io/library/node:20-bookworm-slim
PUBLIC_BASE_URL=https://cds.ci.example

log() { printf 'container-test: %s\n' "$*"; }
die() { printf 'container-test: FAILED: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" = 0 ] || die "run as root (rootful podman, debootstrap)"

# 1. Tools.
missing=()
for tool in podman buildah debootstrap runc; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y podman buildah debootstrap runc
fi

# 2. Podman's storage and settings of its own: this host lacks CAP_SYS_RESOURCE (the default
# open-files limit fails) and mixes cgroup v1 and v2 (crun refuses it; runc copes).
mkdir -p "$CACHE/storage" "$CACHE/run"
cat >"$CACHE/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$CACHE/storage"
runroot = "$CACHE/run"
EOF
cat >"$CACHE/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_STORAGE_CONF=$CACHE/storage.conf CONTAINERS_CONF=$CACHE/containers.conf

work=$(mktemp -d)
cleanup() {
  podman rm -f "$NAME" >/dev/null 2>&1 || true
  podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# 3. A local node:20-bookworm-slim, laid out like the official image, unless podman has it already.
if ! podman image exists "$BASE_TAG"; then
  node_bin=$(command -v node)
  node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
  [ "$node_major" = 20 ] || die "this machine's node is $("$node_bin" -v); the base image needs Node 20"
  tarball=$CACHE/node-$("$node_bin" -v)-bookworm-minbase.tar
  if [ ! -f "$tarball" ]; then
    log "making the base image (debootstrap bookworm + Node $("$node_bin" -v)) into $tarball"
    rootfs=$work/rootfs
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
      { tail -20 "$work/debootstrap.log" >&2; die "debootstrap"; }
    global=$(npm root -g)
    mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
    cp "$node_bin" "$rootfs/usr/local/bin/node"
    cp -a "$global/npm" "$global/corepack" "$rootfs/usr/local/lib/node_modules/"
    # Headers, as the official image has them: native addons build against them when no prebuilt binary is found.
    if [ -d /usr/include/node ]; then cp -a /usr/include/node "$rootfs/usr/local/include/node"; fi
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
    ln -sf ../lib/node_modules/corepack/dist/corepack.js "$rootfs/usr/local/bin/corepack"
    chroot "$rootfs" groupadd --gid 1000 node
    chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" --numeric-owner -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$rootfs"
  fi
  log "importing $tarball as $BASE_TAG"
  podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' "$tarball" localhost/node:20-bookworm-slim >/dev/null
  podman tag localhost/node:20-bookworm-slim "$BASE_TAG"
fi

# 4. Build. This network re-signs TLS with a CA only the host trusts: hand it to npm as build secrets
# (nothing of them stays in the image; the Dockerfile builds without them elsewhere).
ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
secrets=()
if [ -f "$ca" ]; then
  printf 'cafile=/run/secrets/hostca\n' >"$work/build-npmrc"
  secrets=(--secret "id=npmrc,src=$work/build-npmrc" --secret "id=hostca,src=$ca")
fi
# Layers are cached in $CACHE between runs (better-sqlite3 compiles from source where its prebuilt
# download is blocked: minutes on a busy machine); AIBL_CI_NO_CACHE=1 builds every step afresh.
cache_flag=()
cache_note="layer cache on"
if [ "${AIBL_CI_NO_CACHE:-0}" = 1 ]; then cache_flag=(--no-cache); cache_note="no layer cache"; fi
log "building $IMAGE ($cache_note)"
t0=$(now)
podman build --format docker --pull=never "${cache_flag[@]}" "${secrets[@]}" -t "$IMAGE" . >"$CACHE/last-build.log" 2>&1 ||
  { tail -40 "$CACHE/last-build.log" >&2; die "podman build (log: $CACHE/last-build.log)"; }
build_s=$(elapsed "$t0" "$(now)")
size_bytes=$(podman image inspect -f '{{.Size}}' "$IMAGE")
size_mb=$(awk -v b="$size_bytes" 'BEGIN { printf "%.1f", b / 1000000 }')

labels=$(podman image inspect -f '{{json .Labels}}' "$IMAGE")
grep -q '"org.opencontainers.image.licenses":"Apache-2.0"' <<<"$labels" || die "OCI licence label missing: $labels"
podman image inspect -f '{{json .Config.Volumes}}' "$IMAGE" | grep -q '"/data"' || die "no VOLUME /data in the image"

# 5. A trusted client with a key made for this run, and tokens signed with it.
mkdir -p "$work/config"
node --input-type=module - "$work" "$PUBLIC_BASE_URL" <<'EOF'
import { writeFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
const [dir, base] = process.argv.slice(2);
const iss = 'https://ehr.ci.example';
const { publicKey, privateKey } = await generateKeyPair('ES384');
const jwk = { ...(await exportJWK(publicKey)), kid: 'ci', alg: 'ES384', use: 'sig' };
writeFileSync(`${dir}/config/clients.json`, JSON.stringify({ clients: [{ iss, jwks: { keys: [jwk] }, fhirServers: ['https://ehr.ci.example/fhir'] }] }));
for (const [name, path] of [['sign', '/cds-services/aibl-order-sign'], ['feedback', '/cds-services/aibl-order-sign/feedback']]) {
  const jwt = await new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: 'ci' })
    .setIssuer(iss).setSubject('ci').setAudience(`${base}${path}`).setIssuedAt().setExpirationTime('5m')
    .sign(privateKey);
  writeFileSync(`${dir}/token-${name}`, jwt);
}
EOF
chmod -R a+rX "$work/config"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
url=http://127.0.0.1:$port
analytics_token=$(node -p 'require("crypto").randomBytes(24).toString("hex")')

podman volume create "$VOLUME" >/dev/null
run_container() {
  podman run -d --name "$NAME" --pull=never --read-only \
    -p "127.0.0.1:$port:8080" \
    -v "$VOLUME:/data" -v "$work/config:/config:ro" \
    -e PUBLIC_BASE_URL="$PUBLIC_BASE_URL" -e CDS_CLIENTS_FILE=/config/clients.json \
    -e ANALYTICS_TOKEN="$analytics_token" \
    "$IMAGE" >/dev/null
}
wait_ready() {
  for _ in $(seq 1 100); do
    if curl -fsS "$url/readyz" >/dev/null 2>&1; then return 0; fi
    if [ "$(podman inspect -f '{{.State.Running}}' "$NAME")" != true ]; then break; fi
    sleep 0.2
  done
  podman logs "$NAME" >&2 || true
  die "the container did not become ready"
}
# SIGTERM, then a clean exit (code 0) before podman's SIGKILL at the grace period.
stop_clean() {
  local t exit_code took
  t=$(now)
  podman stop -t "$GRACE_S" "$NAME" >/dev/null 2>&1
  took=$(elapsed "$t" "$(now)")
  exit_code=$(podman inspect -f '{{.State.ExitCode}}' "$NAME")
  [ "$exit_code" = 0 ] || { podman logs "$NAME" >&2; die "exit code $exit_code after SIGTERM (took ${took}s)"; }
  awk -v t="$took" -v g="$GRACE_S" 'BEGIN { exit !(t < g) }' || die "stop took ${took}s, the grace period is ${GRACE_S}s"
  local drain_ms
  drain_ms=$(podman logs "$NAME" 2>/dev/null | node -e '
    const lines = require("fs").readFileSync(0, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    const start = lines.filter((l) => /^shutting down/.test(l.msg)).at(-1), end = lines.filter((l) => l.msg === "stopped").at(-1);
    if (!start || !end || end.time < start.time) process.exit(1);
    console.log(end.time - start.time);') || die "no 'shutting down' and 'stopped' lines in the log"
  log "SIGTERM: exit 0 in ${took}s as podman saw it, ${drain_ms} ms from 'shutting down' to 'stopped' (grace ${GRACE_S}s)"
}

t_run=$(now)
run_container
wait_ready
log "ready $(elapsed "$t_run" "$(now)")s after podman run"

health=$(curl -fsS "$url/healthz")
[ "$health" = '{"status":"ok"}' ] || die "healthz answered $health"
ready=$(curl -fsS "$url/readyz")
grep -q '"status":"ready"' <<<"$ready" || die "readyz answered $ready"
log "healthz: $health; readyz: $ready"

uid=$(podman exec "$NAME" id -u)
[ "$uid" = 1000 ] || die "the service runs as uid $uid"
if podman exec "$NAME" sh -c 'echo x > /app/written' 2>/dev/null; then die "the root filesystem is writable"; fi
log "runs as uid $uid on a read-only root filesystem"

cards=$(curl -fsS "$url/cds-services/aibl-order-sign" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $(cat "$work/token-sign")" --data @examples/order-sign.json)
card_uuid=$(node -e 'const c=JSON.parse(process.argv[1]).cards; if (!c.length) process.exit(1); console.log(c[0].uuid)' "$cards") ||
  die "order-sign answered no cards: $cards"
log "order-sign: $(node -p 'JSON.parse(process.argv[1]).cards.map(c=>c.source.topic.code).join(", ")' "$cards")"

feedback=$(printf '{"feedback":[{"card":"%s","outcome":"overridden","overrideReason":{"reason":{"system":"http://example.org/override","code":"done-elsewhere"}},"outcomeTimestamp":"%s"}]}' \
  "$card_uuid" "$(date -u +%Y-%m-%dT%H:%M:%SZ)")
stored=$(curl -fsS "$url/cds-services/aibl-order-sign/feedback" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $(cat "$work/token-feedback")" --data "$feedback")
[ "$stored" = '{"stored":1,"duplicates":0}' ] || die "feedback answered $stored"
log "feedback: $stored"

stop_clean
t_run=$(now)
podman start "$NAME" >/dev/null
wait_ready
log "restarted on the same volume, ready in $(elapsed "$t_run" "$(now)")s"
summary=$(curl -fsS "$url/analytics/summary" -H "Authorization: Bearer $analytics_token")
node -e '
  const t = JSON.parse(process.argv[1]).topics;
  const overridden = t.reduce((n, x) => n + x.overridden, 0), issued = t.reduce((n, x) => n + x.issued, 0);
  if (overridden !== 1 || issued < 1) { console.error(JSON.stringify(t)); process.exit(1); }' "$summary" ||
  die "the feedback did not survive the restart: $summary"
log "after the restart the summary still holds the feedback and the issued cards"
stop_clean

log "image $IMAGE: ${size_mb} MB, built in ${build_s}s ($cache_note)"
echo "container-test: OK"
