package realchain

import (
	"testing"

	"github.com/vf-offload/vf-offload/e2e/bed"
)

// TestRealKubeOVNOffloadedAddDel: the path users hit. Multus hands the VF
// to every plugin of conf/nad-default.yaml as top-level deviceID; the real
// Kube-OVN daemon wires the VF itself; vf-offload adopts; DEL runs in the
// chain's real order (vf-offload, then Kube-OVN) and the node is checked
// after both.
func TestRealKubeOVNOffloadedAddDel(t *testing.T) {
	n := newNode(t)
	p := n.pod("offl", podOpts{defaultNet: "default/default", vfs: 1})
	vf := p.VFs[0]
	before := snap(t, n.b)
	if _, err := n.add(p); err != nil {
		t.Fatalf("ADD: %v\nvf-offload log:\n%s", err, vfoLog(n.b))
	}
	wantOffloaded(t, n, p, vf, "eth0", "default.default.ovn")
	if err := n.del(p); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	wantHome(t, n, p, vf, "default.default.ovn")
	// What the chain's DEL leaves different from before the pod: the
	// settings Kube-OVN changed before vf-offload ran, which nothing recorded.
	t.Logf("node after the chain's DEL vs. before ADD:\n%s", bed.Diff(before, snap(t, n.b)))
	if mac, _ := n.k.VFAdminMAC(vf.Index); mac != "00:00:00:00:00:00" {
		t.Errorf("VF administrative MAC after Kube-OVN's DEL %q; Kube-OVN v1.16.2 zeroes it", mac)
	}
}
