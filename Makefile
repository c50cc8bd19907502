# Ostiary: `make run` serves on embedded SQLite, `make test` runs everything.
GO       ?= go
BIN      := bin/ostiary
ARGS     ?=

# What `ostiary version` says of a release build (cli_version.go). The date is
# the commit's, so the same commit builds the same bytes.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE     ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
PLATFORMS ?= linux/amd64 linux/arm64

.PHONY: build run test test-short fuzz lint bench release clean

build:
	$(GO) build -o $(BIN) ./cmd/ostiary

run: build
	./$(BIN) serve $(ARGS)

# Unit tests, the storage conformance suite on SQLite and PostgreSQL (a
# throwaway cluster is started when OSTIARY_TEST_POSTGRES is unset), and the
# browser end-to-end tests. See .ci/test for what it prints.
test:
	bash .ci/test

# The short tier: unit tests on SQLite only. Under -short pgtest skips the
# PostgreSQL tests and e2e/ (the binary and Chromium) skips as a whole; about
# 35 s on two cores with a warm build cache. make test stays the full run.
test-short:
	$(GO) test -short -count=1 ./...

# Every go test -fuzz target for FUZZTIME each: make fuzz FUZZTIME=10m
fuzz:
	bash .ci/fuzz

# go vet, gofmt and staticcheck at the version pinned by the tool line in
# go.mod (go get -tool honnef.co/go/tools/cmd/staticcheck@vX to move it).
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck ./...

bench:
	bash .ci/bench

# Static, versioned binaries for each of PLATFORMS in dist/, with SHA256SUMS:
# the same go build the Dockerfile runs (pure Go, SQLite included, no cgo).
release:
	rm -rf dist && mkdir -p dist
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; out=dist/ostiary-$(VERSION)-$$os-$$arch; \
		echo "build $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $$out ./cmd/ostiary; \
	done
	cd dist && sha256sum ostiary-* > SHA256SUMS && cat SHA256SUMS

clean:
	rm -rf bin dist
