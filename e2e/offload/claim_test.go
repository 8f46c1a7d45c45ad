package offload_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

// TestClaimAvoidsTakenNumbers: ADD reopens Kube-OVN's port under an
// ofport_request that no other interface holds or requests. Foreign ports
// requesting every number ADD would try first must keep theirs, and the
// pod must still be wired and reachable.
func TestClaimAvoidsTakenNumbers(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 2)
	a, b := e.pod("a"), e.pod("b")
	cb, capsB := e.full(false, e.b.NIC.VFs[1].PCI)
	e.add(cb, b, capsB)
	// ofports given by vswitchd on this bed are small: take 32768+1..64.
	args := []string{}
	for i := 1; i <= 64; i++ {
		n := "xtra" + strconv.Itoa(i)
		args = append(args, "--", "add-port", "br-int", n, "--", "set", "interface", n, "ofport_request="+strconv.Itoa(32768+i))
	}
	e.vsctl(args[1:]...)
	c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
	e.add(c, a, caps)
	e.assertWired(a, e.b.NIC.VFs[0])
	port := kubeovn.PortName(a.ContainerID, "eth0")
	req, err := strconv.Atoi(e.vsctl("get", "interface", port, "ofport_request"))
	if err != nil || req < 32768 || req <= 32768+64 && req > 32768 {
		t.Errorf("ofport_request of %s is %d (%v), want a free number >= 32768 outside 32769..32832", port, req, err)
	}
	if of := e.vsctl("get", "interface", port, "ofport"); of != strconv.Itoa(req) {
		t.Errorf("%s opened as ofport %s, requested %d", port, of, req)
	}
	for i := 1; i <= 64; i++ {
		n := "xtra" + strconv.Itoa(i)
		if got := e.vsctl("get", "interface", n, "ofport_request"); got != strconv.Itoa(32768+i) {
			t.Errorf("foreign %s: ofport_request %s, want %d", n, got, 32768+i)
		}
	}
	if _, err := a.Ping(b.IP.IP, 3, 2*time.Second); err != nil {
		t.Errorf("pod a -> pod b: %v", err)
	}
	e.del(c, a, caps)
	if ports := e.vsctl("list-ports", "br-int"); strings.Contains(ports, port) {
		t.Errorf("%s still on br-int after DEL: %s", port, ports)
	}
}
