package realchain

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/e2e/realkubeovn"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

// linkIn finds a link by name among a snapshot's links.
func linkIn(links []bed.Link, name string) (bed.Link, bool) {
	for _, l := range links {
		if l.Name == name {
			return l, true
		}
	}
	return bed.Link{}, false
}

// ovsIface finds an Interface row by name.
func ovsIface(s bed.Snapshot, name string) (bed.OVSInterface, bool) {
	for _, i := range s.Interfaces {
		if i.Name == name {
			return i, true
		}
	}
	return bed.OVSInterface{}, false
}

// onBridge says whether br-int holds a port named name.
func onBridge(s bed.Snapshot, name string) bool {
	for _, p := range s.Bridges["br-int"] {
		if p == name {
			return true
		}
	}
	return false
}

func snap(t *testing.T, b *bed.Bed) bed.Snapshot {
	t.Helper()
	s, err := b.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return s
}

// wantOffloaded asserts the already-offloaded state the real Kube-OVN made
// and vf-offload adopted for pod p's interface ifname on provider prov:
// the VF is the pod's interface with the allocated MAC and address, and its
// representor is the br-int port under Kube-OVN's name, with Kube-OVN's
// external_ids, vf-offload's markers and OVN's ovn-installed.
func wantOffloaded(t *testing.T, n *node, p *kpod, vf nic.VF, ifname, prov string) {
	t.Helper()
	wantWired(t, n, p, vf, ifname, prov)
	// Kube-OVN sets the VF's administrative MAC through the PF (recorded by
	// the bed's patch); vf-offload's own attempt, in the veth state, fails on
	// the bed's veth PF and is only a warning.
	// The pod annotations Kube-OVN writes when it wires a VF.
	ann := n.annotations(p.Name)
	for k, v := range map[string]string{"pod_nic_type": "sriov", "vf_representor": kubeovnPort(p, ifname)} {
		if got := ann[prov+".kubernetes.io/"+k]; got != v {
			t.Errorf("pod annotation %s.kubernetes.io/%s = %q, want %q", prov, k, got, v)
		}
	}
	if got, pf := n.k.VFAdminMAC(vf.Index); got != p.Alloc[prov].MAC {
		t.Errorf("VF %d administrative MAC (set by Kube-OVN through PF netdev %q) %q, want %s", vf.Index, pf, got, p.Alloc[prov].MAC)
	}
}

// wantWired asserts that the VF is pod p's interface ifname and its
// representor the br-int port under Kube-OVN's name, whoever wired it.
func wantWired(t *testing.T, n *node, p *kpod, vf nic.VF, ifname, prov string) {
	t.Helper()
	s := snap(t, n.b)
	a := p.Alloc[prov]
	podLinks := s.Pods[p.Name]
	l, ok := linkIn(podLinks, ifname)
	if !ok {
		t.Fatalf("pod %s has no %s: %+v", p.Name, ifname, podLinks)
	}
	if l.Alias != vf.Netdev {
		t.Errorf("pod %s %s: ifalias %q, want the VF's host name %q (the VF is not the pod's interface)", p.Name, ifname, l.Alias, vf.Netdev)
	}
	if l.MAC != a.MAC {
		t.Errorf("pod %s %s: MAC %s, want the allocated %s", p.Name, ifname, l.MAC, a.MAC)
	}
	if !hasAddr(l.Addrs, a.IP.String()) {
		t.Errorf("pod %s %s: addresses %v, want %s", p.Name, ifname, l.Addrs, a.IP)
	}
	if _, ok := linkIn(s.Node, vf.Netdev); ok {
		t.Errorf("VF %s still in the node netns", vf.Netdev)
	}
	host := kubeovn.PortName(p.ContainerID, ifname)
	rep, ok := linkIn(s.Node, host)
	if !ok {
		t.Fatalf("no representor named %s in the node (representor %s)", host, vf.Rep)
	}
	if !rep.Up {
		t.Errorf("representor %s is down", host)
	}
	if !onBridge(s, host) {
		t.Errorf("%s is not a port of br-int: %v", host, s.Bridges["br-int"])
	}
	i, _ := ovsIface(s, host)
	want := map[string]string{
		"iface-id": portName(p.Name, prov), "vendor": "kube-ovn", "pod_name": p.Name, "pod_namespace": "default",
		"pod_netns": p.Netns, "ovn-installed": "true", "vf-offload": "true", "vf-offload-pci": vf.PCI,
	}
	for k, v := range want {
		if i.ExternalIDs[k] != v {
			t.Errorf("Interface %s external_ids:%s = %q, want %q (all: %v)", host, k, i.ExternalIDs[k], v, i.ExternalIDs)
		}
	}
	if !i.OFPortOK || i.Error != "" {
		t.Errorf("Interface %s not open in ovs-vswitchd: ofport ok %v, error %q", host, i.OFPortOK, i.Error)
	}
}

// wantHome asserts that VF vf and its representor are back in the node as
// before the pod: VF under its host name (not in any pod), representor under
// its own name and off the bridge, no port left with the pod's iface-id,
// no vf-offload state for the VF.
func wantHome(t *testing.T, n *node, p *kpod, vf nic.VF, prov string) {
	t.Helper()
	s := snap(t, n.b)
	if _, ok := linkIn(s.Node, vf.Netdev); !ok {
		t.Errorf("VF %s is not back in the node under its host name; node links: %v; pods: %v", vf.Netdev, names(s.Node), s.Pods)
	}
	rep, ok := linkIn(s.Node, vf.Rep)
	if !ok {
		t.Errorf("representor %s not back under its own name; node links: %v", vf.Rep, names(s.Node))
	}
	if onBridge(s, vf.Rep) || onBridge(s, kubeovn.PortName(p.ContainerID, "eth0")) {
		t.Errorf("representor still a port of br-int: %v", s.Bridges["br-int"])
	}
	for _, i := range s.Interfaces {
		if i.ExternalIDs["iface-id"] == portName(p.Name, prov) {
			t.Errorf("Interface %s still carries the pod's iface-id", i.Name)
		}
	}
	for f := range s.State {
		if strings.Contains(f, vf.PCI) && !strings.HasSuffix(f, ".lock") {
			t.Errorf("vf-offload state left for %s: %s", vf.PCI, f)
		}
	}
	_ = rep
}

func names(links []bed.Link) []string {
	var out []string
	for _, l := range links {
		out = append(out, l.Name)
	}
	return out
}

func hasAddr(addrs []string, ip string) bool {
	for _, a := range addrs {
		if strings.HasPrefix(a, ip+"/") {
			return true
		}
	}
	return false
}

// portName is Kube-OVN's logical port name (its iface-id).
func portName(pod, prov string) string { return realkubeovn.LogicalPortName(pod, "default", prov) }

// lastStdin returns the stdin of the last call of plugin for command.
func lastStdin(t *testing.T, b *bed.Bed, plugin, command string) map[string]any {
	t.Helper()
	calls := callsOf(t, b, plugin, command)
	if len(calls) == 0 {
		t.Fatalf("%s was never called with %s", plugin, command)
	}
	return calls[len(calls)-1]
}

// callsOf returns the stdin of every call of plugin for command, in order.
func callsOf(t *testing.T, b *bed.Bed, plugin, command string) []map[string]any {
	t.Helper()
	calls, err := b.Calls(plugin)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, c := range calls {
		if c.Command == command {
			out = append(out, c.Stdin)
		}
	}
	return out
}

// vfoLog returns vf-offload's log on the node.
func vfoLog(b *bed.Bed) string {
	data, _ := os.ReadFile(b.LogFile)
	return string(data)
}

// logLine returns the first line of vf-offload's log holding every part, "".
func logLine(b *bed.Bed, parts ...string) string {
	for _, l := range strings.Split(vfoLog(b), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return l
		}
	}
	return ""
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// kubeovnPort is Kube-OVN's host-side port name for a pod interface.
func kubeovnPort(p *kpod, ifname string) string { return kubeovn.PortName(p.ContainerID, ifname) }
