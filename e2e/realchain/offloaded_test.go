package realchain

import (
	"testing"
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
	if _, err := n.add(p); err != nil {
		t.Fatalf("ADD: %v\nvf-offload log:\n%s", err, vfoLog(n.b))
	}
	wantOffloaded(t, n, p, vf, "eth0", "default.default.ovn")
	if err := n.del(p); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	wantHome(t, n, p, vf, "default.default.ovn")
}
