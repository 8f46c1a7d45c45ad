package offload_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
)

// faultPoints are the points between two changes of ADD (veth state;
// "(adopt)": already-offloaded state) and DEL where the fault-tagged plugin binary kills itself (pkg/offload
// faultPoint); the shipped binary has no such points.
var faultPoints = []string{
	"ADD: state saved",
	"ADD: set VF admin MAC",
	"ADD: set Kube-OVN's host veth aside",
	"ADD: rename representor and set its MTU",
	"ADD: hand Kube-OVN's port to the representor",
	"ADD: set Kube-OVN's veth aside in the pod",
	"ADD: move VF into the pod",
	"ADD: configure VF in the pod",
	"ADD: wait until ovs-vswitchd has opened the representor",
	"ADD: representor up",
	"ADD (adopt): state recorded",
	"ADD (adopt): mark representor port",
	"ADD (adopt): representor MTU and up",
	"DEL: take representor off the bridge",
	"DEL: bring VF home",
	"DEL: remove what an interrupted ADD set aside",
}

// useFaultBinary builds vf-offload with the vfo_faults tag and makes the
// bed run it in place of the shipped one.
func (e *env) useFaultBinary() {
	e.t.Helper()
	bin := filepath.Join(e.t.TempDir(), "vf-offload")
	cmd := exec.Command("go", "build", "-tags", "vfo_faults", "-o", bin, "./plugin")
	cmd.Dir = e.b.Bins.Repo
	if out, err := cmd.CombinedOutput(); err != nil {
		e.t.Fatalf("build the fault binary: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(e.b.Dir, "wrap", "vf-offload"), []byte(e.b.NIC.WrapperScript(bin)), 0o755); err != nil {
		e.t.Fatal(err)
	}
}

// TestCrashAtEveryStep kills the plugin right after each step of ADD and
// DEL, then runs DEL as the runtime would, and requires the node to be
// exactly as before ADD (links, names, MACs, MTUs, netns membership, OVS
// ports and external_ids, state files); then a fresh ADD of the same VF
// must work.
func TestCrashAtEveryStep(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	e.useFaultBinary()
	vf := e.b.NIC.VFs[0]
	matrix := []string{fmt.Sprintf("%-58s %-18s %s", "killed after", "first call", "after DEL")}
	n := 0
	for i, point := range faultPoints {
		if strings.Contains(point, "(adopt)") { // TestCrashAtEveryAdoptStep
			continue
		}
		n++
		p := e.pod(fmt.Sprintf("f%d", i))
		c, caps := e.full(false, vf.PCI)
		before := e.snapshot()
		first := "ADD died"
		if strings.HasPrefix(point, "ADD") {
			os.Setenv("VFO_FAULT", point)
			_, err := e.b.Add(e.ctx, c, p, "eth0", caps)
			os.Unsetenv("VFO_FAULT")
			if err == nil {
				t.Fatalf("%s: ADD survived its fault point", point)
			}
		} else {
			e.add(c, p, caps)
			os.Setenv("VFO_FAULT", point)
			err := e.b.Del(e.ctx, c, p, "eth0", caps)
			os.Unsetenv("VFO_FAULT")
			if err == nil {
				t.Fatalf("%s: DEL survived its fault point", point)
			}
			first = "ADD ok, DEL died"
		}
		e.del(c, p, caps)
		outcome := "node as before ADD"
		if d := e.settledDiff(before, nil); d != "" {
			outcome = "DIFFERS"
			t.Errorf("%s: after DEL the node differs from before ADD:\n%s", point, d)
		}
		// The VF is usable again.
		e.add(c, p, caps)
		e.assertWired(p, vf)
		e.del(c, p, caps)
		if _, err := p.Destroy(); err != nil {
			t.Fatal(err)
		}
		matrix = append(matrix, fmt.Sprintf("%-58s %-18s %s", point, first, outcome))
	}
	t.Logf("fault matrix (%d points):\n%s", n, strings.Join(matrix, "\n"))
}

// adoptEnv is a bed with the fault binary where the Kube-OVN stand-in
// wires VF 0 itself (the already-offloaded state), and the node as a clean
// ADD and DEL of pod p leave it.
type adoptEnv struct {
	*env
	vf    nic.VF
	p     *bed.Pod
	c     bed.Conflist
	caps  map[string]any
	clean bed.Snapshot
}

func newAdoptEnv(t *testing.T) *adoptEnv {
	e := newEnv(t, nic.Agilio(), 1)
	e.useFaultBinary()
	a := &adoptEnv{env: e, vf: e.b.NIC.VFs[0], p: e.pod("o")}
	a.c, a.caps = e.full(true, a.vf.PCI)
	e.add(a.c, a.p, a.caps)
	e.del(a.c, a.p, a.caps)
	a.clean = e.snapshot()
	return a
}

// crashMatrix kills call (ADD or DEL of pod p, after setup) at each fault
// point that the filter keeps, then runs DEL: the node must be as a clean
// ADD and DEL leave it (which is not as before ADD: the VF keeps what
// Kube-OVN gave it, see design.md), and a fresh ADD must wire the VF.
func (a *adoptEnv) crashMatrix(keep func(string) bool, first string, setup func(), call func() error) {
	t := a.t
	matrix := []string{fmt.Sprintf("%-58s %-18s %s", "killed after", "first call", "after DEL")}
	n := 0
	for _, point := range faultPoints {
		if !keep(point) {
			continue
		}
		n++
		setup()
		os.Setenv("VFO_FAULT", point)
		err := call()
		os.Unsetenv("VFO_FAULT")
		if err == nil {
			t.Fatalf("%s: the call survived its fault point", point)
		}
		a.del(a.c, a.p, a.caps)
		outcome := "node as after a clean DEL"
		if d := a.settledDiff(a.clean, nil); d != "" {
			outcome = "DIFFERS"
			t.Errorf("%s: after DEL the node differs from after a clean ADD and DEL:\n%s", point, d)
		}
		a.add(a.c, a.p, a.caps)
		a.assertWired(a.p, a.vf)
		a.del(a.c, a.p, a.caps)
		matrix = append(matrix, fmt.Sprintf("%-58s %-18s %s", point, first, outcome))
	}
	t.Logf("fault matrix, already-offloaded state (%d points):\n%s", n, strings.Join(matrix, "\n"))
}

// TestCrashAtEveryDelStepOffloaded does the DEL rows of the fault matrix in
// the already-offloaded state (the stand-in wired the VF itself): after DEL
// died at each point and ran again, the node must be as after a DEL that
// was never interrupted (which leaves the VF and representor as Kube-OVN's
// own DEL expects them, not as before ADD), and a fresh ADD must work.
func TestCrashAtEveryDelStepOffloaded(t *testing.T) {
	a := newAdoptEnv(t)
	a.crashMatrix(func(p string) bool { return strings.HasPrefix(p, "DEL") }, "ADD ok, DEL died",
		func() { a.add(a.c, a.p, a.caps); a.assertWired(a.p, a.vf) },
		func() error { return a.b.Del(a.ctx, a.c, a.p, "eth0", a.caps) })
}

// TestCrashAtEveryAdoptStep kills ADD in the already-offloaded state (the
// real Kube-OVN's usual result: the VF already in the pod, its representor
// the port) after each of its changes, then runs DEL and ADD again for the same
// pod: DEL must leave the node as a clean ADD and DEL do (the VF keeps the
// pod's MAC from Kube-OVN either way), and the VF must serve again.
func TestCrashAtEveryAdoptStep(t *testing.T) {
	a := newAdoptEnv(t)
	a.crashMatrix(func(p string) bool { return strings.Contains(p, "(adopt)") }, "ADD died", func() {},
		func() error { _, err := a.b.Add(a.ctx, a.c, a.p, "eth0", a.caps); return err })
}
