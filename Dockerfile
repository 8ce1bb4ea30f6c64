# syntax=docker/dockerfile:1
# stripeguard's container image: the verifying webhook proxy (guard) and the
# scanner, as one static binary on a distroless base.
#
#   docker build -t stripeguard .
#   docker run --rm -p 8787:8787 -e STRIPE_WEBHOOK_SECRET=whsec_... stripeguard \
#     guard --listen 0.0.0.0:8787 --admin-listen 0.0.0.0:8788 --upstream http://app:8000
#
# The final image holds the binary, CA certificates and a passwd entry for
# the non-root user 65532, nothing else: no shell, no package manager. It
# writes nothing to its filesystem, so it runs with a read-only root
# (docker run --read-only, Kubernetes readOnlyRootFilesystem: true).
# The base images are build arguments so that a mirror or a locally built
# equivalent can stand in for them.
ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=1 GOFLAGS=-trimpath GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
# Static: the Python parser is C (tree-sitter, cgo), linked with libc into
# one executable that needs nothing from the runtime image. netgo and
# osusergo keep the resolver and user lookups in Go.
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -tags netgo,osusergo \
      -ldflags "-s -w -linkmode external -extldflags -static -X github.com/stripeguard/stripeguard/internal/cli.Version=${VERSION}" \
      -o /out/stripeguard ./cmd/stripeguard \
 && /out/stripeguard version \
 && ! ldd /out/stripeguard

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/stripeguard /usr/local/bin/stripeguard
USER 65532:65532
# 8787: webhook listener (--listen); 8788: /healthz and /metrics (--admin-listen).
EXPOSE 8787 8788
# No curl in the image: the binary checks the admin endpoint itself.
HEALTHCHECK --interval=15s --timeout=4s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/stripeguard", "health", "--timeout", "3s", "http://127.0.0.1:8788/healthz"]
ENTRYPOINT ["/usr/local/bin/stripeguard"]
CMD ["help"]
