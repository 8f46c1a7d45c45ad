package offload

import (
	"testing"

	"github.com/vf-offload/vf-offload/pkg/config"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

// The aside names are how DEL finds what an interrupted ADD renamed: a
// later version must compute the same ones, hence the fixed values.
func TestAsideNames(t *testing.T) {
	for _, tc := range []struct{ cid, ifname, host, pod string }{
		{"0123456789abcdef0123456789abcdef", "eth0", "vfo0123456789ab", "vfo67b19724"},
		{"0123456789abcdef0123456789abcdef", "net1", "vfo0123456789ab", "vfo99bfe84b"},
		{"abc", "net2", "vfoabc", "vfo9abfe9de"},
		{"a_b.c-d", "eth0", "vfoa_b.c-d", "vfo67b19724"},
	} {
		host, pod := hostAsideName(tc.cid), asideName(tc.ifname)
		if host != tc.host || pod != tc.pod {
			t.Errorf("aside names of %s/%s = %q, %q; want %q, %q", tc.cid, tc.ifname, host, pod, tc.host, tc.pod)
		}
		for _, n := range []string{host, pod} {
			if err := config.ValidateIfName(n); err != nil {
				t.Errorf("aside name %q: %v", n, err)
			}
			// Neither may be a name Kube-OVN gives its host veth or the pod interface.
			if n == kubeovn.PortName(tc.cid, tc.ifname) || n == kubeovn.PodVethName(tc.cid, tc.ifname) || n == tc.ifname {
				t.Errorf("aside name %q is one Kube-OVN uses", n)
			}
		}
	}
	// The pod's interfaces get distinct aside names.
	seen := map[string]string{}
	for _, ifname := range []string{"eth0", "net1", "net2", "net3", "net10", "eth1", "podabcdefg1234"} {
		n := asideName(ifname)
		if other, ok := seen[n]; ok {
			t.Errorf("%s and %s share the aside name %s", ifname, other, n)
		}
		seen[n] = ifname
	}
}
