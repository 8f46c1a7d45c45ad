package realchain

import (
	"strings"
	"testing"
)

// TestMultusSameVFTwice: a pod on two NADs that name the same resource
// (conf/nad-default.yaml as its default network, conf/nad-secondary.yaml as
// net1) and requests two VFs. Multus' default-network lookup drops the
// resource index, so it can hand both interfaces the same VF. Whatever
// Multus hands out, the pod must never end up with one VF on two
// interfaces, a refused ADD must say why, and after the runtime's DEL the
// node is as before: both VFs home, no port, no state.
func TestMultusSameVFTwice(t *testing.T) {
	n := newNode(t)
	p := n.pod("twice", podOpts{defaultNet: "default/default", networks: "default/sriov-ovn", vfs: 2})
	for _, vf := range p.VFs {
		n.devicePluginInfo(vf.PCI)
	}
	_, err := n.add(p)
	// Kube-OVN runs first in both NADs and sees every device ID Multus hands out.
	devs := map[string][]string{}
	for _, c := range callsOf(t, n.b, "kube-ovn", "ADD") {
		dev, _ := c["deviceID"].(string)
		devs[dev] = append(devs[dev], c["provider"].(string))
	}
	t.Logf("device IDs Multus handed out, by provider: %v", devs)
	if len(devs[p.VFs[0].PCI]) != 2 {
		t.Logf("Multus v4.3.0 no longer hands %s to both interfaces: %v", p.VFs[0].PCI, devs)
	} else if err == nil {
		t.Fatalf("ADD succeeded with one VF handed to two interfaces")
	} else if !strings.Contains(err.Error(), "failed to get one netdevice interface per "+p.VFs[0].PCI) {
		// vf-offload refuses the second use too (TestAddRefusesVFOfOtherInterface
		// in e2e/offload); with the real Kube-OVN first in the chain, Kube-OVN's
		// own lookup fails before vf-offload runs.
		t.Errorf("ADD error %v; want Kube-OVN's refusal of the VF that already is eth0", err)
	}
	if err := n.del(p); err != nil {
		t.Errorf("DEL: %v", err)
	}
	for _, vf := range p.VFs {
		wantHome(t, n, p, vf, "default.default.ovn")
	}
}
