package offload_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/inspect"
)

// TestDoctorOnTheBed runs `vf-offload doctor` inside the bed after two pods
// exchanged traffic through their VFs: it must see the uplink, both pods,
// their representors' datapath flows, and say honestly that nothing is
// offloaded because the bed's OVS uses the userspace datapath.
func TestDoctorOnTheBed(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 2)
	a, b := e.pod("a"), e.pod("b")
	ca, capsA := e.full(false, e.b.NIC.VFs[0].PCI)
	cb, capsB := e.full(false, e.b.NIC.VFs[1].PCI)
	e.add(ca, a, capsA)
	e.add(cb, b, capsB)
	if _, err := a.Ping(b.IP.IP, 3, 2*time.Second); err != nil {
		t.Fatalf("ping: %v", err)
	}
	args := []string{"doctor", "--ovsdb", e.b.OVS.DB, "--state-dir", e.b.StateDir}
	out, err := e.b.NIC.Command(e.b.Bins.Path["vf-offload"], append(args, "--json")...).Output()
	if err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	var r inspect.Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("doctor --json output: %v\n%s", err, out)
	}
	if !r.Node.OVSDBReachable || r.Node.DatapathType != "netdev" || len(r.Node.Problems) != 0 {
		t.Errorf("node part: %+v", r.Node)
	}
	if len(r.Node.Uplinks) != 1 || r.Node.Uplinks[0].Netdev != e.b.NIC.Uplink || r.Node.Uplinks[0].VFsInUse != 2 ||
		r.Node.Uplinks[0].VFsTotal != 65 {
		t.Errorf("uplinks: %+v", r.Node.Uplinks)
	}
	if len(r.Pods) != 2 {
		t.Fatalf("want 2 pods, got %+v", r.Pods)
	}
	for _, p := range r.Pods {
		if p.Verdict != "not offloaded" || !strings.Contains(p.Reason, "userspace datapath") {
			t.Errorf("pod %s: verdict %q, reason %q", p.Pod, p.Verdict, p.Reason)
		}
		if p.Ofport <= 0 || len(p.Flows) == 0 {
			t.Errorf("pod %s: ofport %d, %d flows through %s", p.Pod, p.Ofport, len(p.Flows), p.Representor)
		}
		for _, f := range p.Flows {
			if f.Offloaded == "yes" || f.DP == "tc" {
				t.Errorf("pod %s: the userspace bed cannot have offloaded flows: %+v", p.Pod, f)
			}
		}
	}
	text, err := e.b.NIC.Command(e.b.Bins.Path["vf-offload"], append(args, "--pod", "default/a")...).Output()
	if err != nil {
		t.Fatalf("doctor: %v", err)
	}
	t.Logf("doctor --pod default/a:\n%s", text)
	if strings.Count(string(text), "Pod ") != 1 || !strings.Contains(string(text), "Pod default/a") {
		t.Errorf("--pod default/a should report pod a only:\n%s", text)
	}
	e.del(ca, a, capsA)
	e.del(cb, b, capsB)
}
