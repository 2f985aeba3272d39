# ballast — build, run and test. GNU make.
#
# Client tools are pinned here and installed into .tools/bin (git-ignored) by
# `make tools`; `make test` puts them first on PATH. Each tool built is also
# kept in TOOLS_CACHE, outside the checkout and keyed by version, so a fresh
# clone (CI's) copies it instead of compiling it again.

GIT_LFS_VERSION := v3.8.1
ORAS_VERSION    := v1.3.6
CRANE_VERSION   := v0.22.1
# The distribution registry, the peer of the OCI benchmark.
REGISTRY_VERSION := v3.1.2
# The OCI distribution-spec conformance suite (a nested module of the spec's
# repository, only published as a pseudo-version).
OCI_CONFORMANCE_MODULE  := github.com/opencontainers/distribution-spec/conformance
OCI_CONFORMANCE_VERSION := v0.0.0-20260831232431-97274622c111
# MinIO, the S3 server the S3 backend's integration tests run against
# (about 4 minutes to build the first time; cached like every tool).
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c

TOOLS_BIN := $(CURDIR)/.tools/bin
STAMPS    := $(CURDIR)/.tools/stamps
TOOLS_CACHE ?= $(HOME)/.cache/ballast/tools

# make run
ADDR       ?= 127.0.0.1:8080
DATA_DIR   ?= .data
PUBLIC_URL ?= http://$(ADDR)

# make fuzz: time per Fuzz target.
FUZZTIME ?= 20s

# make bench: the benchmark commands, then the end-to-end report (go run
# ./internal/bench/lfsbench all); append a command to BENCH_CMDS (or add a target to
# BENCH_TARGETS) to extend it.
BENCH_CMDS    := go test -run '^$$' -bench . -benchmem ./store/...
BENCH_TARGETS :=

TEST_ENV := PATH="$(TOOLS_BIN):$$PATH" BALLAST_E2E=1

.PHONY: all tools skopeo postgresql build run test fuzz bench models clean distclean FORCE

all: build

# tool-rule NAME, VERSION, PACKAGE, MODULE
# The stamp .tools/stamps/NAME-VERSION records that NAME is installed at
# VERSION. It is (re)made when missing, or when the binary is missing. A
# binary already built from MODULE@VERSION (go version -m) is kept as is;
# else one in TOOLS_CACHE/NAME-VERSION is copied; else it is built and a
# copy kept there (a cache that cannot be written is skipped).
define tool-rule
tools: $(STAMPS)/$(1)-$(2)
$(STAMPS)/$(1)-$(2): $(if $(wildcard $(TOOLS_BIN)/$(1)),,FORCE)
	@mkdir -p $(STAMPS) $(TOOLS_BIN)
	@built() { go version -m "$$$$1" 2>/dev/null | grep -q '^[[:space:]]*mod[[:space:]]*$(4)[[:space:]]*$(2)[[:space:]]'; }; \
	if built $(TOOLS_BIN)/$(1); then \
		echo "$(1) $(2) already in $(TOOLS_BIN)"; \
	elif built $(TOOLS_CACHE)/$(1)-$(2)/$(1); then \
		echo "$(1) $(2) from $(TOOLS_CACHE)"; cp $(TOOLS_CACHE)/$(1)-$(2)/$(1) $(TOOLS_BIN)/$(1); \
	else \
		echo "installing $(1) $(2) (compiled from source the first time: up to a few minutes)"; \
		GOBIN=$(TOOLS_BIN) go install $(3)@$(2); \
		mkdir -p $(TOOLS_CACHE)/$(1)-$(2) 2>/dev/null && cp $(TOOLS_BIN)/$(1) $(TOOLS_CACHE)/$(1)-$(2)/$(1) 2>/dev/null || true; \
	fi
	@rm -f $(STAMPS)/$(1)-v*
	@touch $$@
endef

$(eval $(call tool-rule,git-lfs,$(GIT_LFS_VERSION),github.com/git-lfs/git-lfs/v3,github.com/git-lfs/git-lfs/v3))
$(eval $(call tool-rule,git-lfs-test-server-api,$(GIT_LFS_VERSION),github.com/git-lfs/git-lfs/v3/t/git-lfs-test-server-api,github.com/git-lfs/git-lfs/v3))
$(eval $(call tool-rule,oras,$(ORAS_VERSION),oras.land/oras/cmd/oras,oras.land/oras))
$(eval $(call tool-rule,crane,$(CRANE_VERSION),github.com/google/go-containerregistry/cmd/crane,github.com/google/go-containerregistry))
$(eval $(call tool-rule,registry,$(REGISTRY_VERSION),github.com/distribution/distribution/v3/cmd/registry,github.com/distribution/distribution/v3))
$(eval $(call tool-rule,minio,$(MINIO_VERSION),github.com/minio/minio,github.com/minio/minio))

# The conformance suite is built from a copy of its module (the module cache
# is read-only) into .tools/bin/oci-conformance. The stamp works as above.
tools: $(STAMPS)/oci-conformance-$(OCI_CONFORMANCE_VERSION)
$(STAMPS)/oci-conformance-$(OCI_CONFORMANCE_VERSION): $(if $(wildcard $(TOOLS_BIN)/oci-conformance),,FORCE)
	@mkdir -p $(STAMPS) $(TOOLS_BIN)
	@set -e; cached=$(TOOLS_CACHE)/oci-conformance-$(OCI_CONFORMANCE_VERSION)/oci-conformance; \
	if [ -x "$$cached" ]; then \
		echo "oci-conformance $(OCI_CONFORMANCE_VERSION) from $(TOOLS_CACHE)"; cp "$$cached" $(TOOLS_BIN)/oci-conformance; exit 0; \
	fi; \
	echo "building oci-conformance $(OCI_CONFORMANCE_VERSION)"; \
	tmp=$$(mktemp -d); trap 'chmod -R u+w "$$tmp"; rm -rf "$$tmp"' EXIT; \
	cd "$$tmp"; \
	src=$$(go mod download -json $(OCI_CONFORMANCE_MODULE)@$(OCI_CONFORMANCE_VERSION) | grep '"Dir":' | cut -d'"' -f4); \
	cp -R "$$src" src; chmod -R u+w src; cd src; \
	go build -ldflags '-X main.Version=$(OCI_CONFORMANCE_VERSION)' -o $(TOOLS_BIN)/oci-conformance .; \
	mkdir -p "$$(dirname "$$cached")" 2>/dev/null && cp $(TOOLS_BIN)/oci-conformance "$$cached" 2>/dev/null || true
	@rm -f $(STAMPS)/oci-conformance-v*
	@touch $@

# skopeo is the Debian package (CI runs as root). It is installed only when
# missing from PATH; apt-get update runs once, and only if the first install
# fails (no or stale package lists).
tools: skopeo
skopeo:
	@if command -v skopeo >/dev/null; then \
		echo "skopeo already installed: $$(skopeo --version)"; \
	else \
		echo "installing skopeo (Debian package)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q skopeo || { apt-get update -q && apt-get install -y -q skopeo; }; \
	fi

# PostgreSQL for the integration tests: the Debian package, installed only
# when initdb is found neither on PATH nor under /usr/lib/postgresql.
tools: postgresql
postgresql:
	@if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "postgresql already installed"; \
	else \
		echo "installing postgresql (Debian package)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q postgresql || { apt-get update -q && apt-get install -y -q postgresql; }; \
	fi

FORCE:

build:
	@echo "building bin/ballast (the first build downloads and compiles the dependencies: about a minute)"
	go build -o bin/ballast ./cmd/ballast

run: build
	./bin/ballast serve --addr $(ADDR) --data $(DATA_DIR) --public-url $(PUBLIC_URL)

# The end-to-end tests that look at the local backend's own files (temp
# files, pack files on disk); the S3 run leaves them out.
LOCAL_ONLY_E2E := TestCrashMidUpload|TestCrashMidCompaction|TestGCAfterDelete|TestStagedUploadsAreCompacted|TestCorruptPackIsHealedByAPush|TestStalledUploadIsCutOff

# The packages whose tests use the metadata database (internal/testkit/dbtest).
METADATA_PKGS := ./store/ ./oci/ ./lfsserver/ ./internal/platform/... ./internal/gitops/... ./internal/httpapi/... ./internal/server/

# Unit tests, race detector, and the end-to-end tests against the real
# git-lfs client (BALLAST_E2E=1 makes a missing tool a failure, not a skip);
# then the metadata suites against a real PostgreSQL, and the end-to-end
# tests again with the objects in a real MinIO and the metadata in
# PostgreSQL (both started by the tests; PostgreSQL from the Debian
# postgresql package).
test: tools
	go vet ./...
	$(TEST_ENV) go test -race -count=1 -timeout 30m ./...
	$(TEST_ENV) go run ./internal/testkit/pgtest/withpg go test -count=1 -timeout 20m $(METADATA_PKGS)
	$(TEST_ENV) BALLAST_E2E_STORE=s3 BALLAST_E2E_DB=postgres go test -count=1 -timeout 20m -skip '$(LOCAL_ONLY_E2E)' ./internal/testkit/e2e/

# Runs every Fuzz target of every package for FUZZTIME.
fuzz:
	@set -e; \
	for dir in $$(grep -rl --include='*_test.go' --exclude-dir=.tools --exclude-dir=testdata '^func Fuzz' . | xargs -r -n1 dirname | sort -u); do \
		for fn in $$(go test -list '^Fuzz' $$dir | grep '^Fuzz'); do \
			echo "== $$dir $$fn"; \
			go test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

bench: tools $(BENCH_TARGETS)
	$(BENCH_CMDS)
	PATH="$(TOOLS_BIN):$$PATH" go run ./internal/bench/lfsbench all
	PATH="$(TOOLS_BIN):$$PATH" go run ./internal/bench/ocibench

# Real model files (not committed) into testdata/models.
models:
	./testdata/fetch-models.sh

# Removes build output. Leaves .data (server data) alone.
clean:
	rm -rf bin

# Also removes the installed tools and fetched models.
distclean: clean
	rm -rf .tools testdata/models
