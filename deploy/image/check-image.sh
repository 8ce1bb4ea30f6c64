#!/usr/bin/env bash
# Builds the repository's Dockerfile with buildah and checks the image:
# static binary, non-root user, HEALTHCHECK through the binary, entrypoint,
# size, and a guard started from the image answering its health check.
#
# Docker Hub and gcr.io are not reachable from CI, so the two base images
# the Dockerfile names by build argument are built here from Debian's
# packages instead: the builder is Debian bookworm (mmdebstrap) with gcc,
# libc6-dev and this machine's Go toolchain; the runtime base is what
# distroless/static:nonroot holds (CA certificates, a passwd with the
# nonroot user 65532), on scratch.
#
# RUN steps use buildah's chroot isolation: in this sandbox the OCI runtimes
# (crun, runc) cannot set RLIMIT_NPROC for the container process
# ("setrlimit RLIMIT_NPROC: Operation not permitted"), so `podman run`
# does not start containers; chroot isolation needs no rlimit changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=${STRIPEGUARD_IMAGE_WORK:-/var/tmp/stripeguard-image}
mkdir -p "$work"
export BUILDAH_ISOLATION=chroot

echo "== base images"
if ! buildah inspect --type image localhost/stripeguard-base/golang:1.26-bookworm >/dev/null 2>&1; then
  if [ ! -s "$work/bookworm-gcc.tar" ]; then
    mmdebstrap --quiet --variant=minbase --include=gcc,libc6-dev,ca-certificates,git \
      --format=tar bookworm "$work/bookworm-gcc.tar.tmp" http://deb.debian.org/debian
    mv "$work/bookworm-gcc.tar.tmp" "$work/bookworm-gcc.tar"
  fi
  podman import --quiet "$work/bookworm-gcc.tar" localhost/stripeguard-base/bookworm-gcc:latest >/dev/null
  goroot=$(go env GOROOT)
  ctx=$(mktemp -d)
  cp -a "$goroot" "$ctx/go"
  # This machine's trust store: module downloads may pass through a proxy
  # whose CA only the host knows.
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
  cat > "$ctx/Containerfile" <<'CF'
FROM localhost/stripeguard-base/bookworm-gcc:latest
COPY go /usr/local/go
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV PATH=/usr/local/go/bin:/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GOPATH=/root/go
CF
  buildah build --quiet --layers -t localhost/stripeguard-base/golang:1.26-bookworm "$ctx" >/dev/null
  rm -rf "$ctx"
fi
if ! buildah inspect --type image localhost/stripeguard-base/static:nonroot >/dev/null 2>&1; then
  ctx=$(mktemp -d)
  mkdir -p "$ctx/etc/ssl/certs" "$ctx/tmp"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$ctx/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$ctx/etc/group"
  cat > "$ctx/Containerfile" <<'CF'
FROM scratch
COPY etc /etc
USER 65532:65532
CF
  buildah build --quiet -t localhost/stripeguard-base/static:nonroot "$ctx" >/dev/null
  rm -rf "$ctx"
fi

echo "== build the Dockerfile"
buildah build --layers --format docker \
  --build-arg GO_IMAGE=localhost/stripeguard-base/golang:1.26-bookworm \
  --build-arg RUNTIME_IMAGE=localhost/stripeguard-base/static:nonroot \
  --build-arg VERSION=image-check \
  -t localhost/stripeguard:check -f Dockerfile .

echo "== check the image"
fail() { echo "image check failed: $*" >&2; exit 1; }
cfg=$(buildah inspect --type image localhost/stripeguard:check)
user=$(jq -r '.Docker.config.User' <<<"$cfg")
[ "$user" = "65532:65532" ] || fail "user is '$user', want 65532:65532"
jq -e '.Docker.config.Entrypoint == ["/usr/local/bin/stripeguard"]' <<<"$cfg" >/dev/null || fail "entrypoint"
jq -e '.Docker.config.Healthcheck.Test[1] == "/usr/local/bin/stripeguard" and (.Docker.config.Healthcheck.Test | index("health"))' <<<"$cfg" >/dev/null \
  || fail "healthcheck: $(jq -c .Docker.config.Healthcheck <<<"$cfg")"
size=$(podman image inspect localhost/stripeguard:check --format '{{.Size}}')
echo "image size: $size bytes"
[ "$size" -lt $((60 * 1024 * 1024)) ] || fail "image is $size bytes"
layers=$(jq '.Docker.rootfs.diff_ids | length' <<<"$cfg")
echo "layers: $layers"

ctr=$(buildah from localhost/stripeguard:check)
cleanup() { [ -n "${guard_pid:-}" ] && kill "$guard_pid" 2>/dev/null; buildah rm "$ctr" >/dev/null 2>&1 || true; }
trap cleanup EXIT
mnt=$(buildah mount "$ctr")
# Nothing but the binary, certificates and passwd/group.
extra=$(cd "$mnt" && find . -type f ! -path ./usr/local/bin/stripeguard ! -path ./etc/ssl/certs/ca-certificates.crt ! -path ./etc/passwd ! -path ./etc/group | head)
[ -z "$extra" ] || fail "unexpected files in the image: $extra"
[ ! -e "$mnt/bin/sh" ] || fail "the image has a shell"
buildah umount "$ctr" >/dev/null
buildah run --user 65532:65532 "$ctr" -- /usr/local/bin/stripeguard version | grep -q 'stripeguard image-check' || fail "version"

# A guard started from the image answers the image's own HEALTHCHECK command.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
admin=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
buildah run --user 65532:65532 --env STRIPE_WEBHOOK_SECRET=whsec_imagecheckimagecheckimagecheck00 "$ctr" -- \
  /usr/local/bin/stripeguard guard --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" \
  --upstream http://127.0.0.1:9 --log-format json > "$work/guard.log" 2>&1 &
guard_pid=$!
ok=false
for _ in $(seq 1 100); do
  if buildah run --user 65532:65532 "$ctr" -- /usr/local/bin/stripeguard health "http://127.0.0.1:$admin/healthz" >/dev/null 2>&1; then ok=true; break; fi
  sleep 0.1
done
$ok || { cat "$work/guard.log"; fail "the guard in the image did not become healthy"; }
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/webhooks/stripe" -d '{}')
[ "$code" = 400 ] || fail "unsigned delivery answered $code, want 400"
echo "image check passed: $(podman image inspect localhost/stripeguard:check --format '{{.Id}}' | cut -c1-12), $size bytes, user $user"
