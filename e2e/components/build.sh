#!/usr/bin/env bash
# Builds the real components the end-to-end tests run against (Multus thin
# plugin, kube-apiserver, Kube-OVN CNI and daemon) from the Go module proxy, at
# the versions pinned in versions.env, into $VFO_COMPONENTS_DIR (default
# /var/cache/vf-offload/components). A component whose stamp matches is not
# rebuilt; Go's own module and build caches make a rebuild after a source
# change take seconds. Each build runs inside the component's own module, so
# its go.mod and replace directives hold.
#
#   e2e/components/build.sh            build what is missing
#   e2e/components/build.sh -print     print "name version path" per binary
#
# From empty Go caches on an idle 2-core machine: 486 s in all, about half of
# it kube-apiserver, and 6 GB of caches; warm: seconds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
out=${VFO_COMPONENTS_DIR:-/var/cache/vf-offload/components}
work=$out/src
mkdir -p "$out" "$work"

log() { printf 'components: %s\n' "$*" >&2; }

# srcdir MODULE VERSION: a writable copy of the module's source.
srcdir() {
	local dir dst=$work/$(echo "$1" | tr '/' '_')@$2
	if [ ! -f "$dst/.complete" ]; then
		dir=$(go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		[ -d "$dir" ] || { log "go mod download $1@$2 gave no source"; exit 1; }
		rm -rf "$dst"; cp -r "$dir" "$dst"; chmod -R u+w "$dst"; touch "$dst/.complete"
	fi
	echo "$dst"
}

# fresh NAME STAMP: true when NAME needs a build for STAMP.
fresh() { [ "$(cat "$out/$1.stamp" 2>/dev/null)" != "$2" ]; }
done_() { echo "$2" >"$out/$1.stamp"; }

build_multus() {
	local stamp="$MULTUS_MODULE@$MULTUS_VERSION"
	fresh multus "$stamp" || return 0
	log "building multus $MULTUS_VERSION"
	local src; src=$(srcdir "$MULTUS_MODULE" "$MULTUS_VERSION")
	(cd "$src" && CGO_ENABLED=0 go build -mod=mod -trimpath \
		-ldflags "-X $MULTUS_MODULE/pkg/multus.version=$MULTUS_VERSION" \
		-o "$out/bin/multus" ./cmd/multus)
	done_ multus "$stamp"
}

build_apiserver() {
	local stamp="$KUBERNETES_MODULE@$KUBERNETES_VERSION"
	fresh kube-apiserver "$stamp" || return 0
	log "building kube-apiserver $KUBERNETES_VERSION"
	local k8s staging mod=$work/kube-apiserver@$KUBERNETES_VERSION
	k8s=$(srcdir "$KUBERNETES_MODULE" "$KUBERNETES_VERSION")
	staging="v0.${KUBERNETES_VERSION#v1.}"
	rm -rf "$mod"; mkdir -p "$mod"
	# The kubernetes module zip has no staging/ folder: pin every staging
	# module kubernetes' own go.mod replaces to its published release.
	{
		echo "module vfo.local/kube-apiserver"
		echo
		echo "go $(go env GOVERSION | sed 's/^go//; s/\.[0-9]*$//')"
		echo
		echo "require $KUBERNETES_MODULE $KUBERNETES_VERSION"
		echo
		echo "replace ("
		sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging"'#p' "$k8s/go.mod"
		echo ")"
	} >"$mod/go.mod"
	cp "$here/apiserver_main.go.txt" "$mod/main.go"
	(cd "$mod" && go mod tidy >/dev/null 2>&1 || go mod tidy)
	(cd "$mod" && CGO_ENABLED=0 go build -trimpath \
		-ldflags "-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION" \
		-o "$out/bin/kube-apiserver" .)
	done_ kube-apiserver "$stamp"
}

build_kubeovn() {
	local patch=$here/kube-ovn-vf-mac.patch
	local stamp="$KUBE_OVN_MODULE@$KUBE_OVN_VERSION $(sha256sum "$patch" | cut -c1-16)"
	fresh kube-ovn "$stamp" || return 0
	log "building kube-ovn $KUBE_OVN_VERSION (with $(basename "$patch"))"
	local src; src=$(srcdir "$KUBE_OVN_MODULE" "$KUBE_OVN_VERSION")
	local tree=$work/kube-ovn-patched@$KUBE_OVN_VERSION
	rm -rf "$tree"; cp -r "$src" "$tree"; rm -f "$tree/.complete"
	(cd "$tree" && patch -p1 --forward --silent <"$patch")
	local ld="-X $KUBE_OVN_MODULE/versions.VERSION=$KUBE_OVN_VERSION"
	(cd "$tree" && CGO_ENABLED=0 go build -trimpath -ldflags "$ld" -o "$out/bin/kube-ovn" ./cmd/cni)
	(cd "$tree" && CGO_ENABLED=0 go build -trimpath -buildmode=pie -ldflags "$ld" -o "$out/bin/kube-ovn-daemon" ./cmd/daemon)
	done_ kube-ovn "$stamp"
}

if [ "${1:-}" = "-print" ]; then
	printf 'multus %s %s\n' "$MULTUS_VERSION" "$out/bin/multus"
	printf 'kube-apiserver %s %s\n' "$KUBERNETES_VERSION" "$out/bin/kube-apiserver"
	printf 'kube-ovn %s %s\n' "$KUBE_OVN_VERSION" "$out/bin/kube-ovn"
	printf 'kube-ovn-daemon %s %s\n' "$KUBE_OVN_VERSION" "$out/bin/kube-ovn-daemon"
	exit 0
fi

# manifests copies the files the tests take from the components' sources:
# the NetworkAttachmentDefinition CRD (in Multus' DaemonSet manifest), Kube-OVN's
# CRDs and its default-network conflist (what Multus delegates to by default).
manifests() {
	local m=$out/manifests multus kubeovn
	multus=$(srcdir "$MULTUS_MODULE" "$MULTUS_VERSION")
	kubeovn=$(srcdir "$KUBE_OVN_MODULE" "$KUBE_OVN_VERSION")
	mkdir -p "$m"
	cp "$multus/deployments/multus-daemonset.yml" "$m/multus-daemonset.yml"
	cp "$kubeovn/charts/kube-ovn/templates/kube-ovn-crd.yaml" "$m/kube-ovn-crd.yaml"
	cp "$kubeovn/dist/images/01-kube-ovn.conflist" "$m/01-kube-ovn.conflist"
}

mkdir -p "$out/bin"
start=$(date +%s)
build_multus
build_kubeovn
build_apiserver
manifests
log "all built in $(( $(date +%s) - start )) s into $out"
