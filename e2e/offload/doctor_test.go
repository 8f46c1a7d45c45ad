package offload_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/doctor"
)

// TestDoctorOnTheBed runs `vf-offload doctor` inside the bed after two pods
// exchanged traffic through their VFs: it must see the uplink, both pods,
// their representors' datapath flows, and say honestly that nothing is
// offloaded because the bed's OVS uses the userspace datapath.
func TestDoctorOnTheBed(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 2)
	_, _, unwire := e.wiredPair(3)
	args := []string{"doctor", "--ovsdb", e.b.OVS.DB, "--state-dir", e.b.StateDir}
	out, err := e.b.NIC.Command(e.b.Bins.Path["vf-offload"], append(args, "--json")...).Output()
	if err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	var r doctor.Report
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
	for _, p := range r.Pods {
		if p.TCSource != "kernel" || len(p.TCFilters) != 0 || len(p.Problems) != 0 {
			t.Errorf("pod %s before any filter: tc from %q, %+v, problems %q", p.Pod, p.TCSource, p.TCFilters, p.Problems)
		}
	}
	unwire()
}

// TestDoctorTCFiltersOnTheBed puts a skip_hw filter on a pod's representor
// in the node netns, as OVS does with other_config:tc-policy=skip_hw, and
// checks that doctor reads it from the kernel and reports it in software
// (not_in_hw). The bed's kernel has no cls_flower, so the filter is a u32
// one: the hardware flags are the same TCA_CLS_FLAGS_* bits for every
// classifier, and the representor, a veth, has no TC offload. Then --port
// with a bridge port vf-offload did not attach.
func TestDoctorTCFiltersOnTheBed(t *testing.T) {
	e := newEnv(t, nic.ConnectX5(), 2)
	a, b, unwire := e.wiredPair(2)
	runDoctor := func(args ...string) doctor.Report {
		t.Helper()
		args = append([]string{"doctor", "--ovsdb", e.b.OVS.DB, "--state-dir", e.b.StateDir, "--json"}, args...)
		out, err := e.b.NIC.Command(e.b.Bins.Path["vf-offload"], args...).Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		var r doctor.Report
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("doctor --json output: %v\n%s", err, out)
		}
		return r
	}
	repA := runDoctor("--pod", "default/a").Pods[0].Representor
	repB := runDoctor("--pod", "default/b").Pods[0].Representor
	// The filter sends a's IPv4 packets for b straight to b's representor,
	// past OVS, in TC software: the echo requests still reach b and the
	// filter counts them.
	e.node("tc", "qdisc", "add", "dev", repA, "clsact")
	t.Cleanup(func() { _, _ = e.b.Node("tc", "qdisc", "del", "dev", repA, "clsact") })
	e.node("tc", "filter", "add", "dev", repA, "ingress", "protocol", "ip", "pref", "7", "u32", "skip_hw",
		"match", "ip", "dst", b.IP.IP.String()+"/32", "action", "mirred", "egress", "redirect", "dev", repB)
	if _, err := a.Ping(b.IP.IP, 3, 2*time.Second); err != nil {
		t.Fatalf("ping through the tc filter: %v", err)
	}
	t.Logf("tc -s filter show dev %s ingress:\n%s", repA, e.node("tc", "-s", "filter", "show", "dev", repA, "ingress"))

	r := runDoctor()
	if len(r.Pods) != 2 {
		t.Fatalf("pods: %+v", r.Pods)
	}
	for _, p := range r.Pods {
		if p.TCSource != "kernel" || len(p.Problems) != 0 {
			t.Errorf("pod %s: tc from %q, problems %q", p.Pod, p.TCSource, p.Problems)
		}
		if p.Verdict != "not offloaded" || !strings.Contains(p.Reason, "userspace datapath") {
			t.Errorf("pod %s: %s / %s", p.Pod, p.Verdict, p.Reason)
		}
		switch p.Representor {
		case repB:
			if len(p.TCFilters) != 0 {
				t.Errorf("pod b has no filter, got %+v", p.TCFilters)
			}
		case repA:
			want := doctor.TCFilter{Protocol: "ip", Pref: 7, Kind: "u32", Handle: "800::800",
				Flags: []string{"skip_hw", "not_in_hw"}, Packets: 3, Actions: []string{"mirred(" + repB + ")"}}
			if len(p.TCFilters) == 1 {
				want.Bytes = p.TCFilters[0].Bytes // the bed's echo size is not this test's business
			}
			if len(p.TCFilters) != 1 || want.Bytes == 0 || !reflect.DeepEqual(p.TCFilters[0], want) {
				t.Errorf("pod a's filters:\n got %+v\nwant [%+v]", p.TCFilters, want)
			}
		default:
			t.Errorf("unexpected pod %+v", p)
		}
	}
	text, err := e.b.NIC.Command(e.b.Bins.Path["vf-offload"], "doctor", "--ovsdb", e.b.OVS.DB, "--state-dir", e.b.StateDir,
		"--port", repA).Output()
	if err != nil {
		t.Fatalf("doctor --port: %v", err)
	}
	t.Logf("doctor --port %s:\n%s", repA, text)
	for _, want := range []string{
		"  tc filters on ingress (from kernel): 1\n",
		"    ip pref 7 u32 chain 0 handle 800::800: skip_hw not_in_hw -> software only, packets:3 hw_packets:0 actions:mirred(" + repB + ")\n",
		"  verdict: not offloaded: userspace datapath",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("doctor --port %s lacks %q", repA, want)
		}
	}
	if strings.Count(string(text), "Pod ") != 1 {
		t.Errorf("--port %s should report one pod", repA)
	}

	// A port on br-int that vf-offload did not attach.
	e.node("ip", "link", "add", "name", "xtra0", "type", "veth", "peer", "name", "xtra1")
	t.Cleanup(func() { _, _ = e.b.Node("ip", "link", "del", "xtra0") })
	e.node("ip", "link", "set", "xtra0", "up")
	e.vsctl("add-port", "br-int", "xtra0", "--", "set", "Interface", "xtra0",
		"external_ids:pod_namespace=kube-system", "external_ids:pod_name=coredns-x")
	t.Cleanup(func() { _, _ = e.b.OVS.Vsctl("--if-exists", "del-port", "br-int", "xtra0") })
	r = runDoctor("--port", "xtra0,nosuch0")
	if len(r.Pods) != 2 {
		t.Fatalf("--port xtra0,nosuch0: %+v", r.Pods)
	}
	x, n := r.Pods[0], r.Pods[1]
	if x.Representor != "xtra0" || x.Container != "" || x.Pod != "kube-system/coredns-x" || x.Ofport <= 0 ||
		x.TCSource != "kernel" || len(x.Problems) != 0 || !strings.Contains(x.Reason, "userspace datapath") {
		t.Errorf("port xtra0: %+v", x)
	}
	if n.Representor != "nosuch0" || len(n.Problems) != 2 || !strings.Contains(n.Problems[0], "no port nosuch0") ||
		!strings.Contains(n.Problems[1], "nosuch0") {
		t.Errorf("port nosuch0: %+v", n)
	}
	e.node("tc", "qdisc", "del", "dev", repA, "clsact")
	unwire()
}
