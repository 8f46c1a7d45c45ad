package realchain

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMultusDefaultNetwork: a pod selects conf/nad-default.yaml with
// v1.multus-cni.io/default-network and requests one VF. Multus finds the VF
// in the kubelet's checkpoint and writes it as top-level deviceID and
// pciBusID into every plugin of the NAD (no runtimeConfig for the default
// network); the real Kube-OVN wires the VF; vf-offload adopts it. Multus'
// network-status annotation shows eth0 with the allocated address; CHECK
// through Multus never reaches vf-offload.
func TestMultusDefaultNetwork(t *testing.T) {
	n := newNode(t)
	p := n.pod("dflt", podOpts{defaultNet: "default/default", vfs: 1})
	vf := p.VFs[0]
	if _, err := n.add(p); err != nil {
		t.Fatalf("ADD: %v", err)
	}
	for _, plugin := range []string{"kube-ovn", "vf-offload", "portmap"} {
		in := lastStdin(t, n.b, plugin, "ADD")
		if in["deviceID"] != vf.PCI || in["pciBusID"] != vf.PCI {
			t.Errorf("%s got deviceID %v, pciBusID %v; want both %s (Multus writes them into every plugin)", plugin, in["deviceID"], in["pciBusID"], vf.PCI)
		}
		if rc, _ := in["runtimeConfig"].(map[string]any); rc["deviceID"] != nil || rc["CNIDeviceInfoFile"] != nil {
			t.Errorf("%s got runtimeConfig %v; Multus sets none for the default network", plugin, rc)
		}
	}
	wantOffloaded(t, n, p, vf, "eth0", "default.default.ovn")
	prev := lastStdin(t, n.b, "portmap", "ADD")["prevResult"]
	if !strings.Contains(jsonString(prev), `"pciID":"`+vf.PCI+`"`) {
		t.Errorf("vf-offload's result (portmap's prevResult) lacks pciID %s with the NAD's cniVersion: %s", vf.PCI, jsonString(prev))
	}
	if logLine(n.b, "level=INFO", `msg="device ID"`, "device="+vf.PCI, "source=deviceID") == "" {
		t.Errorf("vf-offload's log does not say where the device ID came from:\n%s", vfoLog(n.b))
	}
	st := n.networkStatus(p.Name)
	a := p.Alloc["default.default.ovn"]
	if len(st) != 1 || st[0].Name != "default/default" || st[0].Interface != "eth0" || !st[0].Default ||
		len(st[0].IPs) != 1 || st[0].IPs[0] != a.IP.String() || st[0].MAC != a.MAC {
		t.Errorf("network-status %+v, want one default entry default/default eth0 %s %s", st, a.IP, a.MAC)
	}
	// CHECK through Multus never reaches vf-offload. As deployed, Multus'
	// configuration takes the version of Kube-OVN's conflist, 0.3.1, which
	// has no CHECK: libcni refuses it. At 1.1.0 Multus checks only the
	// delegates of its own configuration, the cluster default network
	// (that same 0.3.1 conflist, refused again), never the pod's NAD.
	for _, v := range []string{"", "1.1.0"} {
		if err := n.check(p, v); err == nil || !strings.Contains(err.Error(), `version "0.3.1" does not support the CHECK command`) {
			t.Errorf("CHECK through Multus (its cniVersion %q): %v, want libcni's refusal of the 0.3.1 delegate", v, err)
		}
	}
	if got := callsOf(t, n.b, "vf-offload", "CHECK"); len(got) != 0 {
		t.Errorf("CHECK through Multus reached vf-offload %d times", len(got))
	}
	if err := n.del(p); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	wantHome(t, n, p, vf, "default.default.ovn")
}

// TestMultusAdditionalNetwork: the pod keeps the cluster default network
// (Kube-OVN's own conflist: a veth, no VF) and attaches conf/nad-secondary.yaml
// as net1 with a VF. For an additional network Multus also passes
// runtimeConfig.deviceID and a device-info file copied from the device
// plugin's; vf-offload prefers runtimeConfig.deviceID and adds
// representor-device to that file, which Multus shows in network-status.
func TestMultusAdditionalNetwork(t *testing.T) {
	n := newNode(t)
	p := n.pod("addl", podOpts{networks: "default/sriov-ovn", vfs: 1})
	vf := p.VFs[0]
	n.devicePluginInfo(vf.PCI)
	if _, err := n.add(p); err != nil {
		t.Fatalf("ADD: %v", err)
	}
	in := lastStdin(t, n.b, "vf-offload", "ADD")
	rc, _ := in["runtimeConfig"].(map[string]any)
	if rc["deviceID"] != vf.PCI || rc["CNIDeviceInfoFile"] == nil {
		t.Errorf("vf-offload's runtimeConfig %v, want deviceID %s and a CNIDeviceInfoFile", rc, vf.PCI)
	}
	if logLine(n.b, "level=INFO", `msg="device ID"`, "device="+vf.PCI, "source=runtimeConfig.deviceID") == "" {
		t.Errorf("vf-offload's log does not say the device ID came from runtimeConfig.deviceID")
	}
	wantOffloaded(t, n, p, vf, "net1", "sriov-ovn.default.ovn")
	s := snap(t, n.b)
	if l, ok := linkIn(s.Pods[p.Name], "eth0"); !ok || l.Type != "veth" {
		t.Errorf("pod eth0 (cluster default network) = %+v, want Kube-OVN's veth", l)
	}
	var sec *netStatus
	for i, e := range n.networkStatus(p.Name) {
		if e.Interface == "net1" {
			sec = &n.networkStatus(p.Name)[i]
		}
	}
	if sec == nil || sec.Name != "default/sriov-ovn" {
		t.Fatalf("network-status has no net1 entry for default/sriov-ovn: %+v", n.networkStatus(p.Name))
	}
	pci, _ := sec.DeviceInfo["pci"].(map[string]any)
	if pci["pci-address"] != vf.PCI || pci["representor-device"] != kubeovnPort(p, "net1") {
		t.Errorf("network-status device-info %v, want pci-address %s and representor-device %s", sec.DeviceInfo, vf.PCI, kubeovnPort(p, "net1"))
	}
	if err := n.del(p); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	wantHome(t, n, p, vf, "sriov-ovn.default.ovn")
}

// TestMultusDelAfterPodGone: the pod object is deleted before the runtime's
// DEL (the usual order when a pod is force-deleted). Multus then works from
// its own cache and still runs the NAD's DEL: the VF comes home.
func TestMultusDelAfterPodGone(t *testing.T) {
	n := newNode(t)
	p := n.pod("gone", podOpts{defaultNet: "default/default", vfs: 1})
	vf := p.VFs[0]
	if _, err := n.add(p); err != nil {
		t.Fatalf("ADD: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.c.Delete(ctx, "/api/v1/namespaces/default/pods/"+p.Name); err != nil {
		t.Fatal(err)
	}
	if err := n.del(p); err != nil {
		t.Fatalf("DEL after the pod object is gone: %v", err)
	}
	if len(callsOf(t, n.b, "vf-offload", "DEL")) == 0 {
		t.Errorf("Multus ran no vf-offload DEL without the pod object")
	}
	wantHome(t, n, p, vf, "default.default.ovn")
}

// TestMultusNADWithoutResource: a NAD that names no resource hands no
// device ID over: the real Kube-OVN makes a veth and vf-offload passes its
// result through unchanged.
func TestMultusNADWithoutResource(t *testing.T) {
	n := newNode(t)
	p := n.pod("plain", podOpts{defaultNet: "default/plain"})
	before := snap(t, n.b)
	if _, err := n.add(p); err != nil {
		t.Fatalf("ADD: %v", err)
	}
	in := lastStdin(t, n.b, "vf-offload", "ADD")
	if in["deviceID"] != nil {
		t.Errorf("vf-offload got deviceID %v from a NAD without a resource", in["deviceID"])
	}
	out := lastStdin(t, n.b, "portmap", "ADD")["prevResult"]
	if jsonString(out) != jsonString(in["prevResult"]) {
		t.Errorf("vf-offload changed the result without a device ID:\n in: %s\nout: %s", jsonString(in["prevResult"]), jsonString(out))
	}
	s := snap(t, n.b)
	if l, ok := linkIn(s.Pods[p.Name], "eth0"); !ok || l.Type != "veth" {
		t.Errorf("pod eth0 = %+v, want Kube-OVN's veth", l)
	}
	for _, vf := range n.b.NIC.VFs {
		if _, ok := linkIn(s.Node, vf.Netdev); !ok {
			t.Errorf("VF %s left the node without a device ID", vf.Netdev)
		}
	}
	if err := n.del(p); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	after := snap(t, n.b)
	for _, vf := range n.b.NIC.VFs {
		if _, ok := linkIn(after.Node, vf.Rep); !ok {
			t.Errorf("representor %s renamed or gone", vf.Rep)
		}
	}
	_ = before
}

// devicePluginInfo writes the device-info file the SR-IOV device plugin
// writes for an allocated VF (device-info-spec 1.1.0), where Multus reads it.
func (n *node) devicePluginInfo(pci string) {
	dir := n.b.NodePath("/run/k8s.cni.cncf.io/devinfo/dp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		n.t.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{"type": "pci", "version": "1.1.0", "pci": map[string]any{"pci-address": pci}})
	file := dir + "/" + strings.ReplaceAll(resource, "/", "-") + "-" + pci + "-device.json"
	if err := os.WriteFile(file, data, 0o644); err != nil {
		n.t.Fatal(err)
	}
}
