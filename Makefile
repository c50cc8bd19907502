# Ostiary: `make run` serves on embedded SQLite, `make test` runs everything.
GO       ?= go
BIN      := bin/ostiary
ARGS     ?=

.PHONY: build run test fuzz lint bench clean

build:
	$(GO) build -o $(BIN) ./cmd/ostiary

run: build
	./$(BIN) serve $(ARGS)

# Unit tests, the storage conformance suite on SQLite and PostgreSQL (a
# throwaway cluster is started when OSTIARY_TEST_POSTGRES is unset), and the
# browser end-to-end tests. See .ci/test for what it prints.
test:
	bash .ci/test

# Every go test -fuzz target for FUZZTIME each: make fuzz FUZZTIME=10m
fuzz:
	bash .ci/fuzz

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

bench:
	bash .ci/bench

clean:
	rm -rf bin
