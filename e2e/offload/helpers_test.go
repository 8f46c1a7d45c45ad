// Package offload_test runs vf-offload, unmodified, on the test bed: an
// emulated switchdev NIC, a private Open vSwitch and the Kube-OVN stand-in,
// chained the way a runtime chains them through libcni.
package offload_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
)

type env struct {
	t   *testing.T
	b   *bed.Bed
	ctx context.Context
}

func newEnv(t *testing.T, p nic.Profile, vfs int) *env {
	t.Helper()
	b := bed.New(t, bed.Options{NIC: &p, NumVFs: vfs})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	e := &env{t: t, b: b, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			e.dumpLogs()
		}
	})
	return e
}

func (e *env) dumpLogs() {
	for _, f := range []string{e.b.LogFile, filepath.Join(e.b.OVS.Dir, "log", "ovs-vswitchd.log")} {
		data, err := os.ReadFile(f)
		if err != nil {
			e.t.Logf("%s: %v", f, err)
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		e.t.Logf("--- tail of %s\n%s", f, strings.Join(lines, "\n"))
	}
}

func (e *env) pod(name string) *bed.Pod {
	e.t.Helper()
	p, err := e.b.AddPod(name, "default")
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// full returns the chain [kube-ovn, vf-offload, portmap] as Multus hands it
// over for VF pci, with the capability args libcni passes.
func (e *env) full(offload bool, pci string) (bed.Conflist, map[string]any) {
	e.t.Helper()
	c, caps, err := e.b.Multus(e.b.ChainFull(offload), pci)
	if err != nil {
		e.t.Fatal(err)
	}
	return c, caps
}

func (e *env) add(c bed.Conflist, p *bed.Pod, caps map[string]any) *current.Result {
	e.t.Helper()
	r, err := e.b.Add(e.ctx, c, p, "eth0", caps)
	if err != nil {
		e.t.Fatalf("ADD: %v", err)
	}
	res, err := current.NewResultFromResult(r)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) del(c bed.Conflist, p *bed.Pod, caps map[string]any) {
	e.t.Helper()
	if err := e.b.Del(e.ctx, c, p, "eth0", caps); err != nil {
		e.t.Fatalf("DEL: %v", err)
	}
}

func (e *env) snapshot() bed.Snapshot {
	e.t.Helper()
	s, err := e.b.Snapshot()
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) vsctl(args ...string) string {
	e.t.Helper()
	out, err := e.b.OVS.Vsctl(args...)
	if err != nil {
		e.t.Fatalf("ovs-vsctl %v: %v", args, err)
	}
	return strings.TrimSpace(out)
}

// inPod runs a command in the pod's netns (nsenter keeps the host's /sys).
func (e *env) inPod(p *bed.Pod, args ...string) string {
	e.t.Helper()
	return e.node(append([]string{"nsenter", "--net=" + p.Netns}, args...)...)
}

func (e *env) node(args ...string) string {
	e.t.Helper()
	out, err := e.b.Node(args[0], args[1:]...)
	if err != nil {
		e.t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(out)
}

var _ types.Result = (*current.Result)(nil)

// wiredPair adds pods a and b on VFs 0 and 1 through the full chain, sends
// pings pings from a to b, and returns a function that deletes both.
func (e *env) wiredPair(pings int) (a, b *bed.Pod, unwire func()) {
	e.t.Helper()
	a, b = e.pod("a"), e.pod("b")
	ca, capsA := e.full(false, e.b.NIC.VFs[0].PCI)
	cb, capsB := e.full(false, e.b.NIC.VFs[1].PCI)
	e.add(ca, a, capsA)
	e.add(cb, b, capsB)
	if _, err := a.Ping(b.IP.IP, pings, 2*time.Second); err != nil {
		e.t.Fatalf("ping: %v", err)
	}
	return a, b, func() {
		e.del(ca, a, capsA)
		e.del(cb, b, capsB)
	}
}

// kubeOVNAlone runs Kube-OVN's chain alone for pod p (ADD, snapshot, DEL):
// the node as Kube-OVN leaves it, which a failed ADD's rollback must restore.
func (e *env) kubeOVNAlone(p *bed.Pod) bed.Snapshot {
	e.t.Helper()
	kc := e.b.ChainKubeOVN(false)
	if _, err := e.b.Add(e.ctx, kc, p, "eth0", nil); err != nil {
		e.t.Fatal(err)
	}
	s := e.snapshot()
	if err := e.b.Del(e.ctx, kc, p, "eth0", nil); err != nil {
		e.t.Fatal(err)
	}
	return s
}
