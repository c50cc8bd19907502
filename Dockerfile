# Ostiary's container image: a static binary on distroless, as the nonroot
# user, with /var/lib/ostiary as the volume for the embedded SQLite database
# and its generated system secret. Build from the repository's root:
#
#   docker build -t ostiary \
#     --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) .
#   docker run -p 8080:8080 -v ostiary-data:/var/lib/ostiary ostiary
#
# The go build below is the Makefile's release build; cmd/ostiary's
# TestDockerfileBuildsStaticBinary runs this exact RUN line and checks the
# binary has no dynamic section. The final image has no shell, so it has no
# HEALTHCHECK: probe GET /healthz (live) and GET /readyz (database reachable
# and migrated) from the orchestrator, as examples/deploy does.

# The Go release go.mod asks for.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# The module cache as a layer of its own: it changes only with go.sum.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${BUILD_DATE}" -o /out/ostiary ./cmd/ostiary
# The volume's mount point, owned by nonroot in the image so that a fresh
# named volume is too (distroless has no shell to make it there).
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ostiary /usr/local/bin/ostiary
COPY --from=build --chown=65532:65532 /out/data /var/lib/ostiary
# Listen on every interface of the container; the embedded database and the
# generated secret live on the volume. A mounted --config file, or more
# OSTIARY_* variables, set the rest (README "Deployment").
ENV OSTIARY_LISTEN=0.0.0.0:8080 \
    OSTIARY_DATABASE=sqlite:/var/lib/ostiary/ostiary.db \
    OSTIARY_DATA_DIR=/var/lib/ostiary
# nonroot:nonroot of the distroless image.
USER 65532:65532
VOLUME ["/var/lib/ostiary"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ostiary"]
CMD ["serve"]
