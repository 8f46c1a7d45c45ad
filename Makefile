SHELL := /bin/bash
# vf-offload — see README.md. Every target works on a fresh Debian machine;
# `test` and `demo` install the system tools they need when run as root.
GO       ?= go
BIN      := bin
PLUGIN   := $(BIN)/vf-offload
PKGS     := ./...
TESTLOG  := $(BIN)/test.log
IMAGE    ?= localhost/vf-offload:dev
SYSTOOLS := ovsdb-server:openvswitch-switch ovs-vswitchd:openvswitch-switch ovs-vsctl:openvswitch-switch \
            ip:iproute2 ethtool:ethtool nsenter:util-linux unshare:util-linux ping:iputils-ping \
            iptables:iptables ipset:ipset etcd:etcd-server etcdctl:etcd-client \
            buildah:buildah podman:podman runc:runc

.PHONY: all build image test unit e2e demo lint bench clean deps components

all: build

build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(PLUGIN) ./plugin

# image builds the installer image (conf/Dockerfile, FROM scratch) from
# $(PLUGIN) with buildah, offline; as root it installs buildah if missing.
image: build
	@command -v buildah >/dev/null 2>&1 || $(MAKE) --no-print-directory deps SYSTOOLS=buildah:buildah
	conf/image.sh $(PLUGIN) $(IMAGE)

# deps installs the system tools the e2e tests and the demo drive. As root it
# runs apt-get for whatever is missing; otherwise it says what is missing and
# the e2e tests skip themselves.
deps:
	@missing=""; for pair in $(SYSTOOLS); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	missing=$$(printf '%s\n' $$missing | sort -u | xargs); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing: $$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	else echo "missing system packages (run 'make deps' as root): $$missing — e2e tests will skip"; fi

# components builds the real Multus, kube-apiserver and Kube-OVN the e2e
# tests run against (versions pinned in e2e/components/versions.env) into
# /var/cache/vf-offload/components: ~8 min cold on 2 cores, seconds warm.
components:
	@if [ "$$(id -u)" != 0 ] && [ -z "$$VFO_COMPONENTS_DIR" ]; then \
	  echo "components: not root, not built (set VFO_COMPONENTS_DIR to build elsewhere); the e2e/realchain tests skip"; \
	else e2e/components/build.sh; fi

test: deps build components
	@mkdir -p $(BIN)
	set -o pipefail; $(GO) test -count=1 -p 1 -v $(PKGS) 2>&1 | tee $(TESTLOG) | \
	  grep -E '^(=== RUN|--- (PASS|FAIL|SKIP)|PASS|FAIL|ok|panic|\s+\S+_test\.go:)' | grep -v '^=== RUN'; \
	  rc=$${PIPESTATUS[0]}; \
	  p=$$(grep -c -- '--- PASS' $(TESTLOG)); f=$$(grep -c -- '--- FAIL' $(TESTLOG)); s=$$(grep -c -- '--- SKIP' $(TESTLOG)); \
	  echo "tests: $$p passed, $$f failed, $$s skipped"; exit $$rc

# demo shows the already-offloaded state first (Kube-OVN wired the VF: the
# path a cluster takes), then the veth state (the device ID reached
# vf-offload alone), both through cnitool on the emulated NIC.
demo: deps build
	@echo "##### already-offloaded state: Kube-OVN (stand-in) wires the VF, vf-offload adopts it"
	$(GO) run ./e2e/demo -kubeovn-offload
	@echo "##### veth state: Kube-OVN made a veth, vf-offload puts the VF in its place"
	$(GO) run ./e2e/demo

# lint fails on gofmt or go vet findings. golangci-lint (pinned; the module
# proxy has no @latest) runs when it can be installed and prints its findings,
# but does not change the exit status.
GOLANGCI_VERSION := v2.6.2
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@if $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION) 2>/dev/null; then \
	  "$$($(GO) env GOPATH)/bin/golangci-lint" run ./... || \
	    echo "golangci-lint $(GOLANGCI_VERSION) reported the issues above (advisory: lint's status is gofmt + go vet)"; \
	else echo "golangci-lint could not be installed from the module proxy; gofmt and go vet ran"; fi

# bench runs vf-offload through libcni on the bed, in Kube-OVN's
# veth and already-offloaded states (Kube-OVN's untimed part done by the real
# Kube-OVN that `components` builds), with the floors its targets are made of
# (floor binary, kernel, Go hello world) and the Kube-OVN-style baseline in the
# same run; tables and targets go to stdout and $(BIN)/bench.txt (see
# docs/performance.md). It needs root (the bed creates netns, OVS, an emulated NIC).
bench: deps build components
	@if [ "$$(id -u)" != 0 ]; then echo "make bench: not root — the bed needs root; run 'sudo make bench'. Nothing measured."; exit 2; fi
	$(GO) run ./e2e/bench -out $(BIN)/bench.txt
	@echo "== the chain through the real Multus and Kube-OVN (e2e/realchain)" | tee -a $(BIN)/bench.txt
	$(GO) test -run '^$$' -bench MultusOffloadedChain -benchtime 20x ./e2e/realchain 2>&1 | \
	  grep -E '^(Benchmark|component:|ok|FAIL)' | tee -a $(BIN)/bench.txt

clean:
	rm -rf $(BIN)
