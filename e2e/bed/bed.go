// Package bed is the e2e test bed of vf-offload: a node network namespace
// with a private, real Open vSwitch (userspace datapath), optionally an
// emulated switchdev NIC (package e2e/nic), pods as network namespaces, and
// CNI chains run through libcni the way a container runtime runs them.
// Start/Close is the core API; New wraps it for tests.
package bed

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/nic"
)

// Options configure a bed.
type Options struct {
	// NIC, when set, starts an emulated switchdev NIC with NumVFs VFs in the node.
	NIC    *nic.Profile
	NumVFs int
	// Dir is the parent of the bed directory (default os.TempDir()). Keep it
	// short: OVS control socket paths must fit in 108 bytes.
	Dir string
	// Logf receives progress lines (default: discard).
	Logf func(format string, args ...any)
	// NodeRoot (with a NIC) gives the processes run in the bed the fixed
	// paths of a node, each backed by a directory of the bed: /var/lib
	// (RootDir/var/lib: the kubelet's device checkpoint, /var/lib/cni),
	// /var/log, /etc/openvswitch, and /run/openvswitch (the bed's OVS run
	// directory, so that the OVS and Kube-OVN daemon sockets are where a
	// node has them). Real components that use those paths (Multus,
	// Kube-OVN) then see the bed's node, never the test machine's files.
	NodeRoot bool
	// Plugins adds wrappers for more CNI binaries (type -> binary path),
	// or replaces a built one (e.g. "kube-ovn" with the real Kube-OVN CNI).
	Plugins map[string]string
}

// Bed is a running test bed.
type Bed struct {
	ID       string // short random id, part of every netns name
	Dir      string // bed directory, removed by Close
	NodeNS   string // node netns path (/run/netns/vfo-<id>-node)
	CNIPath  string // directory of wrapper scripts, one per plugin
	CacheDir string // libcni cache dir
	StateDir string // vf-offload stateDir
	LogFile  string // vf-offload logFile
	CallsDir string // every plugin invocation's stdin, see Calls
	RootDir  string // with Options.NodeRoot: <Dir>/root, the node's fixed paths
	Bins     Binaries
	OVS      *OVS
	NIC      *nic.NIC // nil without Options.NIC

	opts   Options
	mu     sync.Mutex
	pods   []*Pod
	closed bool
	tb     testing.TB
}

// Start builds the binaries (once per process) and starts a bed.
func Start(opts Options) (_ *Bed, err error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.NIC != nil && opts.NumVFs == 0 {
		opts.NumVFs = 4
	}
	bins, err := Build()
	if err != nil {
		return nil, err
	}
	id := randHex(3)
	dir, err := os.MkdirTemp(opts.Dir, "vfo-"+id+"-")
	if err != nil {
		return nil, fmt.Errorf("bed dir: %w", err)
	}
	b := &Bed{ID: id, Dir: dir, Bins: bins, opts: opts,
		NodeNS:   "/run/netns/" + netnsName(id, "node"),
		CNIPath:  filepath.Join(dir, "cni-bin"),
		CacheDir: filepath.Join(dir, "cni-cache"),
		StateDir: filepath.Join(dir, "state"),
		LogFile:  filepath.Join(dir, "vf-offload.log"),
		CallsDir: filepath.Join(dir, "calls"),
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.Close())
		}
	}()
	for _, d := range []string{b.CNIPath, b.CacheDir, b.CallsDir, filepath.Join(dir, "wrap")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return b, fmt.Errorf("bed dir %s: %w", d, err)
		}
	}
	if err := addNetns(netnsName(id, "node")); err != nil {
		return b, err
	}
	if b.OVS, err = startOVS(b.NodeNS, filepath.Join(dir, "ovs")); err != nil {
		return b, err
	}
	var binds []nic.Bind
	if opts.NodeRoot {
		if opts.NIC == nil {
			return b, errors.New("bed: NodeRoot needs a NIC (its mount namespace)")
		}
		if binds, err = b.nodeRoot(); err != nil {
			return b, err
		}
		// conf/'s NADs leave vf-offload's stateDir at its default and
		// log to /var/log/vf-offload.log: the node's paths.
		b.StateDir = b.NodePath("/var/lib/cni/vf-offload")
		b.LogFile = b.NodePath("/var/log/vf-offload.log")
	}
	b.Bins.Path, b.Bins.Failed = maps.Clone(bins.Path), maps.Clone(bins.Failed)
	for name, path := range opts.Plugins {
		b.Bins.Path[name] = path
		delete(b.Bins.Failed, name)
	}
	if opts.NIC != nil {
		if b.NIC, err = nic.Start(b.NodeNS, filepath.Join(dir, "nic"), *opts.NIC, opts.NumVFs, binds...); err != nil {
			return b, fmt.Errorf("emulated NIC %s: %w", opts.NIC.Name, err)
		}
	}
	if err := b.writeWrappers(); err != nil {
		return b, err
	}
	opts.Logf("bed %s up in %s (node netns %s)", id, dir, b.NodeNS)
	return b, nil
}

// Close removes pods, OVS, the NIC, the node netns and the bed directory.
// It is idempotent.
func (b *Bed) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	pods := b.pods
	b.pods = nil
	b.mu.Unlock()
	var errs []error
	for _, p := range pods {
		errs = append(errs, p.remove())
	}
	if b.OVS != nil {
		errs = append(errs, b.OVS.stop())
	}
	if b.NIC != nil {
		errs = append(errs, b.NIC.Close())
	}
	errs = append(errs, delNetns(netnsName(b.ID, "node")))
	if err := os.RemoveAll(b.Dir); err != nil {
		errs = append(errs, fmt.Errorf("remove bed dir %s: %w", b.Dir, err))
	}
	return errors.Join(errs...)
}

// InNode returns a command that runs bin in the node netns (inside the
// emulated NIC's sysfs view when there is a NIC).
func (b *Bed) InNode(bin string, args ...string) *exec.Cmd {
	if b.NIC != nil {
		return b.NIC.Command(bin, args...)
	}
	return exec.Command("nsenter", append([]string{"--net=" + b.NodeNS, "--", bin}, args...)...)
}

// Node runs bin in the node netns and returns its combined output.
func (b *Bed) Node(bin string, args ...string) (string, error) {
	out, err := b.InNode(bin, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("node: %s %s: %w: %s", bin, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func netnsName(id, name string) string { return "vfo-" + id + "-" + name }

func addNetns(name string) error {
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add %s: %w: %s", name, err, out)
	}
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("netns %s: lo up: %w: %s", name, err, out)
	}
	return nil
}

func delNetns(name string) error {
	if _, err := os.Stat("/run/netns/" + name); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del %s: %w: %s", name, err, out)
	}
	return nil
}

func randHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
