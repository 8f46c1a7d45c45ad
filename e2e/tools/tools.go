//go:build tools

// Package tools pins the CNI binaries the e2e bed builds from the module cache:
// the real portmap plugin (chained after vf-offload) and cnitool.
package tools

import (
	_ "github.com/containernetworking/cni/cnitool"
	_ "github.com/containernetworking/plugins/plugins/meta/portmap"
)
