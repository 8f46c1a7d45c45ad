package realchain

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/realkubeovn"
	"github.com/vf-offload/vf-offload/pkg/doctor"
)

// invokeVFO runs vf-offload alone for command, with the configuration
// Multus gave it on ADD and, as prevResult, the result it returned: what a
// caller other than Multus (which never runs CHECK on a NAD) does.
func invokeVFO(t *testing.T, n *node, p *kpod, ifname, command string) error {
	t.Helper()
	conf := lastStdin(t, n.b, "vf-offload", "ADD")
	conf["prevResult"] = lastStdin(t, n.b, "portmap", "ADD")["prevResult"]
	if command == "STATUS" {
		delete(conf, "prevResult")
	}
	data, _ := json.Marshal(conf)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := &invoke.Args{Command: command, ContainerID: p.ContainerID, NetNS: p.Netns, IfName: ifname,
		PluginArgsStr: p.CNIArgsString(), Path: n.b.CNIPath}
	return invoke.ExecPluginWithoutResult(ctx, filepath.Join(n.b.CNIPath, "vf-offload"), data, args, nil)
}

// TestRealKubeOVNOffloadedVerbs: two pods the real Kube-OVN wired with VFs
// (through Multus, conf/nad-default.yaml) ping each other over their VFs and
// representors; vf-offload's CHECK and STATUS
// pass, doctor reports both pods on their representors, and GC with only
// pod a valid releases pod b: its VF comes home and its port leaves br-int,
// pod a keeps its VF. Then the chain's DELs run for both.
func TestRealKubeOVNOffloadedVerbs(t *testing.T) {
	n := newNode(t)
	a := n.pod("a", podOpts{defaultNet: "default/default", vfs: 1})
	b := n.pod("b", podOpts{defaultNet: "default/default", vfs: 1})
	for _, p := range []*kpod{a, b} {
		if _, err := n.add(p); err != nil {
			t.Fatalf("ADD %s: %v", p.Name, err)
		}
	}
	// The pods reach each other through their VFs, representors and br-int.
	if _, err := a.Ping(b.Alloc["default.default.ovn"].IP, 3, 2*time.Second); err != nil {
		t.Errorf("pod a cannot ping pod b over the VFs: %v", err)
	}
	if err := invokeVFO(t, n, b, "eth0", "CHECK"); err != nil {
		t.Errorf("CHECK of pod b: %v", err)
	}
	if err := invokeVFO(t, n, b, "eth0", "STATUS"); err != nil {
		t.Errorf("STATUS: %v", err)
	}
	out, err := n.b.NIC.Command(n.b.Bins.Path["vf-offload"], "doctor", "--ovsdb", n.b.OVS.DB, "--state-dir", n.b.StateDir, "--json").Output()
	if err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	var r doctor.Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	if len(r.Pods) != 2 {
		t.Errorf("doctor reports %d pods, want 2: %+v", len(r.Pods), r.Pods)
	}
	for _, pr := range r.Pods {
		if pr.Verdict != "not offloaded" || !strings.Contains(pr.Reason, "userspace datapath") || pr.Ofport <= 0 {
			t.Errorf("doctor on pod %s: verdict %q (%s), ofport %d; want the bed's honest 'not offloaded' on an open port", pr.Pod, pr.Verdict, pr.Reason, pr.Ofport)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gcConf := n.nadConflist("nad-default.yaml")
	if err := n.b.GC(ctx, gcConf, types.GCAttachment{ContainerID: a.ContainerID, IfName: "eth0"}); err != nil {
		t.Fatalf("GC: %v", err)
	}
	s := snap(t, n.b)
	if _, ok := linkIn(s.Node, b.VFs[0].Netdev); !ok {
		t.Errorf("GC did not bring pod b's VF %s home", b.VFs[0].Netdev)
	}
	if onBridge(s, kubeovnPort(b, "eth0")) {
		t.Errorf("GC left pod b's port on br-int")
	}
	wantOffloaded(t, n, a, a.VFs[0], "eth0", "default.default.ovn")
	for _, p := range []*kpod{a, b} {
		if err := n.del(p); err != nil {
			t.Errorf("DEL %s: %v", p.Name, err)
		}
		wantHome(t, n, p, p.VFs[0], "default.default.ovn")
	}
}

// TestRealKubeOVNOffloadedVFReuse: the VF a pod released goes to the next
// pod right after its DEL, and is wired and adopted again.
func TestRealKubeOVNOffloadedVFReuse(t *testing.T) {
	n := newNode(t)
	a := n.pod("first", podOpts{defaultNet: "default/default", vfs: 1})
	if _, err := n.add(a); err != nil {
		t.Fatalf("ADD first: %v", err)
	}
	if err := n.del(a); err != nil {
		t.Fatalf("DEL first: %v", err)
	}
	n.nextVF-- // the device plugin hands the same VF out again
	b := n.pod("second", podOpts{defaultNet: "default/default", vfs: 1})
	if b.VFs[0].PCI != a.VFs[0].PCI {
		t.Fatalf("test setup: second pod got %s, want %s", b.VFs[0].PCI, a.VFs[0].PCI)
	}
	if _, err := n.add(b); err != nil {
		t.Fatalf("ADD second with the same VF: %v", err)
	}
	wantOffloaded(t, n, b, b.VFs[0], "eth0", "default.default.ovn")
	if err := n.del(b); err != nil {
		t.Fatalf("DEL second: %v", err)
	}
	wantHome(t, n, b, b.VFs[0], "default.default.ovn")
}

// TestRealKubeOVNOffloadedNetnsGone: the pod's netns is gone before DEL (a
// crashed runtime, a node reboot). The kernel returns a real VF to the host
// under its pod name (the bed emulates that). vf-offload's DEL still finds
// the VF by PCI address and gives it and its representor back; Kube-OVN's
// DEL then fails (it opens the netns first), and with it the chain's DEL.
//
// Kube-OVN v1.16.2's daemon keeps the pod netns open after ADD (configureNic,
// pkg/daemon/ovs_linux.go:265, never closes the ns.GetNS handle; fixed on
// Kube-OVN's master by PR #6741): a deleted netns lives on, and the kernel
// keeps the VF in it, until the daemon's next garbage collection runs the
// file's finalizer (Go forces a GC at least every 2 minutes). So the daemon
// is stopped before the deletion and started after it, as a kube-ovn-cni
// rollout or node reboot would.
func TestRealKubeOVNOffloadedNetnsGone(t *testing.T) {
	n := newNode(t)
	p := n.pod("lost", podOpts{defaultNet: "default/default", vfs: 1})
	vf := p.VFs[0]
	if _, err := n.add(p); err != nil {
		t.Fatalf("ADD: %v", err)
	}
	n.k.StopDaemon()
	back, err := p.Destroy()
	if err != nil {
		t.Fatalf("destroy netns: %v", err)
	}
	t.Logf("the kernel returned %v", back)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.k.StartDaemon(ctx); err != nil {
		t.Fatal(err)
	}
	err = n.del(p)
	t.Logf("DEL with the netns gone: %v", err)
	if l := logLine(n.b, `msg="DEL done"`, "device="+vf.PCI); l == "" {
		t.Errorf("vf-offload's DEL did not finish for %s:\n%s", vf.PCI, vfoLog(n.b))
	}
	if err == nil || !strings.Contains(err.Error(), "kube-ovn") {
		t.Errorf("the chain's DEL: %v; Kube-OVN v1.16.2's DEL fails when the netns is gone", err)
	}
	wantHome(t, n, p, vf, "default.default.ovn")
}

// TestRealKubeOVNVeth: the device ID reaches vf-offload alone (a caller that
// passes it only as the deviceID capability, here libcni with the NAD's
// conflist as cnitool would): the real Kube-OVN makes a veth, vf-offload puts
// the VF in its place and hands Kube-OVN's port to the representor; the
// chain's DEL gives everything back.
func TestRealKubeOVNVeth(t *testing.T) {
	n := newNode(t)
	p := n.pod("veth", podOpts{defaultNet: "default/default", vfs: 1})
	vf := p.VFs[0]
	c := n.nadConflist("nad-default.yaml")
	caps := map[string]any{"deviceID": vf.PCI}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := n.b.Add(ctx, c, p.Pod, "eth0", caps); err != nil {
		t.Fatalf("ADD: %v", err)
	}
	if in := lastStdin(t, n.b, "kube-ovn", "ADD"); in["deviceID"] != nil {
		t.Fatalf("Kube-OVN got a deviceID: %v", in["deviceID"])
	}
	if logLine(n.b, `msg="ADD done"`, "state=veth") == "" && logLine(n.b, `msg="ADD done"`, "device="+vf.PCI) == "" {
		t.Errorf("no ADD done line for %s:\n%s", vf.PCI, vfoLog(n.b))
	}
	wantWired(t, n, p, vf, "eth0", "default.default.ovn")
	// After the handover the pod reaches its gateway over the VF and the
	// representor that now holds Kube-OVN's port.
	if _, err := p.Ping(net.ParseIP("10.17.0.1"), 3, 2*time.Second); err != nil {
		t.Errorf("pod cannot ping its gateway over the VF: %v", err)
	}
	if err := n.b.Del(ctx, c, p.Pod, "eth0", caps); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	wantHome(t, n, p, vf, "default.default.ovn")
}

// nadConflist is the conflist of a NAD in conf/, as Multus hands it to
// libcni (without the keys Multus adds).
func (n *node) nadConflist(file string) bed.Conflist {
	nad, err := realkubeovn.ReadNAD(filepath.Join(env.repo, "conf", file))
	if err != nil {
		n.t.Fatal(err)
	}
	return bed.Conflist{Name: nad.ListName, CNIVersion: nad.CNIVersion, Plugins: nad.Plugins}
}

// TestRealKubeOVNAloneDel: what vf-offload's DEL is for. The NAD's chain
// without vf-offload, with the device ID as Multus hands it over: Kube-OVN
// v1.16.2 wires the VF, and its own DEL leaves the VF in the pod's netns
// (it moves it into the pod's own netns instead of the host's) and the
// representor named <cid12>_h, off the bridge.
func TestRealKubeOVNAloneDel(t *testing.T) {
	n := newNode(t)
	p := n.pod("alone", podOpts{defaultNet: "default/default", vfs: 1})
	vf := p.VFs[0]
	full := n.nadConflist("nad-default.yaml")
	c := full.Clone()
	c.Plugins = nil
	for _, e := range full.Clone().Plugins {
		if e["type"] == "vf-offload" {
			continue
		}
		e["deviceID"], e["pciBusID"] = vf.PCI, vf.PCI
		c.Plugins = append(c.Plugins, e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := n.b.Add(ctx, c, p.Pod, "eth0", nil); err != nil {
		t.Fatalf("ADD: %v", err)
	}
	if err := n.b.Del(ctx, c, p.Pod, "eth0", nil); err != nil {
		t.Fatalf("Kube-OVN's DEL: %v", err)
	}
	s := snap(t, n.b)
	host := kubeovnPort(p, "eth0")
	if l, ok := linkIn(s.Pods[p.Name], vf.Netdev); !ok {
		t.Errorf("Kube-OVN v1.16.2's DEL no longer leaves the VF in the pod (pod links %v, node links %v): update the README", names(s.Pods[p.Name]), names(s.Node))
	} else {
		t.Logf("after Kube-OVN's own DEL the VF is still in the pod netns as %s (down: %v)", l.Name, !l.Up)
	}
	if _, ok := linkIn(s.Node, vf.Netdev); ok {
		t.Errorf("VF %s is back in the host after Kube-OVN's own DEL", vf.Netdev)
	}
	if _, ok := linkIn(s.Node, host); !ok {
		t.Errorf("representor not left as %s after Kube-OVN's own DEL: node links %v", host, names(s.Node))
	}
	if onBridge(s, host) {
		t.Errorf("Kube-OVN's DEL left %s on br-int", host)
	}
}
