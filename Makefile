# Tickwire: the two commands a newcomer needs.
#
#   make run    installs the client's npm packages and starts the server on :8080
#   make test   installs what the tests need (chromium, npm packages) and runs every test
#
# Everything else here is what those two are made of.

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
CHROMIUM    := /usr/bin/chromium
ARGS        ?=

.PHONY: run test client-deps chromium lint test-go fuzz test-client test-browser

run: client-deps
	go run ./server $(ARGS)

# The last thing printed is the browser tests' own summary (node's test runner).
test: client-deps chromium lint test-go fuzz test-client test-browser

# npm ci only when the lock file changed since the last install.
client-deps: client/node_modules/.package-lock.json
client/node_modules/.package-lock.json: client/package.json client/package-lock.json
	cd client && npm ci --no-audit --no-fund
	@touch $@

# The browser tests drive Debian's chromium. As root (CI), install it; otherwise say how.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
		else \
			echo "The browser tests need Chromium at $(CHROMIUM): sudo apt-get install chromium"; exit 1; \
		fi; \
	fi

lint: client-deps
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	go vet ./...
	go vet -tags purego ./netcode # the fallbacks to the assembly (*_other.go)
	go run $(STATICCHECK) ./...
	@if go list -deps ./server | grep -q '^gonum.org/'; then \
		echo "the server binary imports the bench's plotting library"; exit 1; fi

# bench/'s tests include a short run of the whole benchmark, so it cannot rot. netcode's run
# again with its assembly's fallbacks, which other architectures use.
test-go: client-deps
	go test -race ./...
	go test -tags purego ./netcode

# Short runs of the fuzzers, beyond their seed corpora: the server's decoder of client input,
# and the client's decoder and Applier of snapshots (which a server, or whatever answers in its
# place, feeds). The budget is a count of executions, not a duration: with a duration, Go
# 1.26's fuzz coordinator can report its own deadline as a failure (golang/go#75804).
fuzz: client-deps
	go test ./netcode -run '^$$' -fuzz FuzzClientDecoder -fuzztime 200000x
	go test ./netcode -run '^$$' -fuzz FuzzSnapshotApply -fuzztime 100000x

test-client: client-deps
	cd client && node --test test/

test-browser: client-deps chromium
	cd client && node --test browser-test/
