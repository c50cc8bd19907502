# Ostiary: `make run` serves on embedded SQLite, `make test` runs everything.
GO       ?= go
BIN      := bin/ostiary
ARGS     ?=

.PHONY: build run test test-short fuzz lint bench clean

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

clean:
	rm -rf bin
