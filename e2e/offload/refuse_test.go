package offload_test

import (
	"os"
	"strings"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
)

// sansHostMAC blanks the MAC of Kube-OVN's host veth ends, which the
// stand-in (like Kube-OVN) picks at random on every ADD.
func sansHostMAC(s bed.Snapshot) bed.Snapshot {
	for i, l := range s.Node {
		if l.Type == "veth" && strings.HasSuffix(l.Name, "_h") {
			s.Node[i].MAC = ""
		}
	}
	return s
}

// kubeOVNWiring returns pod p's port and its external_ids.
func (e *env) kubeOVNWiring(p *bed.Pod) (port string, ids string) {
	e.t.Helper()
	port = bed.HostPort(p.ContainerID, "eth0")
	return port, e.vsctl("get", "interface", port, "external_ids")
}

func TestAddRefusesHeldVF(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	a, b := e.pod("a"), e.pod("b")
	vf := e.b.NIC.VFs[0]
	c, caps := e.full(false, vf.PCI)
	e.add(c, a, caps)
	_, err := e.b.Add(e.ctx, c, b, "eth0", caps)
	if err == nil || !strings.Contains(err.Error(), "in use by container "+a.ContainerID) {
		t.Fatalf("ADD of a held VF: want 'in use by container %s', got %v", a.ContainerID, err)
	}
	e.assertWired(a, vf)
	if err := e.b.Check(e.ctx, c, a, "eth0", caps); err != nil {
		t.Errorf("holder broken: %v", err)
	}
	// The refused pod still has Kube-OVN's own wiring (the runtime will DEL it).
	port, ids := e.kubeOVNWiring(b)
	if strings.Contains(ids, "vf-offload") || !strings.Contains(e.inPod(b, "ip", "-d", "-o", "link", "show", "eth0"), "veth") {
		t.Errorf("refused pod b was changed: %s %s", port, ids)
	}
}

func TestAddRollsBack(t *testing.T) {
	cases := map[string]func(e *env, p *bed.Pod) string{
		// The temporary name of Kube-OVN's host veth is taken: fails after
		// the VF has already moved into the pod and been configured there.
		"host-aside-name-taken": func(e *env, p *bed.Pod) string {
			e.node("ip", "link", "add", "vfo"+p.ContainerID[:12], "type", "veth", "peer", "name", "vfotestpeer")
			return e.b.NIC.VFs[0].PCI
		},
		// The device ID is the PF: refused before any change.
		"device-is-the-pf": func(e *env, p *bed.Pod) string { return e.b.NIC.PFPCI },
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nic.Agilio(), 2)
			a, b := e.pod("a"), e.pod("b")
			cb, capsB := e.full(false, e.b.NIC.VFs[1].PCI)
			e.add(cb, b, capsB)
			pci := breakIt(e, a)
			want := e.kubeOVNAlone(a)
			c, caps := e.full(false, pci)
			_, err := e.b.Add(e.ctx, c, a, "eth0", caps)
			if err == nil {
				t.Fatal("ADD should fail")
			}
			t.Logf("ADD failed as it should: %v", err)
			got := e.snapshot()
			// Same as Kube-OVN alone, except ofports and names made by the
			// runs themselves (the container's port carries the same name).
			if d := bed.Diff(sansHostMAC(want), sansHostMAC(got)); d != "" {
				t.Errorf("after the failed ADD the node is not as Kube-OVN left it:\n%s", d)
			}
			if _, err := a.Ping(b.IP.IP, 3, 2e9); err != nil {
				t.Errorf("pod a (back on Kube-OVN's veth) cannot reach pod b: %v", err)
			}
		})
	}
}

func TestAlreadyOffloadedByKubeOVN(t *testing.T) {
	for _, prof := range profiles() {
		t.Run(prof.Name, func(t *testing.T) {
			e := newEnv(t, prof, 2)
			a, b := e.pod("a"), e.pod("b")
			before := e.snapshot()
			// Multus hands the device ID to every plugin: the stand-in wires the VF itself.
			ca, capsA := e.full(true, e.b.NIC.VFs[0].PCI)
			cb, capsB := e.full(true, e.b.NIC.VFs[1].PCI)
			e.add(ca, a, capsA)
			e.add(cb, b, capsB)
			port := bed.HostPort(a.ContainerID, "eth0")
			if n := strings.Count(e.vsctl("--columns=name", "find", "interface", "external_ids:iface-id=a.default"), "name"); n != 1 {
				t.Errorf("%d Interface rows carry iface-id a.default, want 1", n)
			}
			ids := e.vsctl("get", "interface", port, "external_ids")
			if !strings.Contains(ids, "vf-offload-pci") || !strings.Contains(ids, "vendor=kube-ovn") {
				t.Errorf("markers or Kube-OVN ids missing: %s", ids)
			}
			if err := e.b.Check(e.ctx, ca, a, "eth0", capsA); err != nil {
				t.Errorf("CHECK: %v", err)
			}
			if _, err := a.Ping(b.IP.IP, 3, 2e9); err != nil {
				t.Errorf("ping: %v", err)
			}
			e.del(ca, a, capsA)
			e.del(cb, b, capsB)
			// The VF comes home under the name Kube-OVN kept in its ifalias;
			// the representor, whose original name is unknown, gets its stable name.
			if links := e.inPod(a, "ip", "-o", "link", "show"); strings.Contains(links, "eth0") {
				t.Errorf("VF left in pod a: %s", links)
			}
			vf := e.b.NIC.VFs[0]
			if out := e.node("ip", "-o", "link", "show", vf.Netdev); !strings.Contains(out, "-vf0") {
				t.Errorf("VF not home as %s: %s", vf.Netdev, out)
			}
			if ports := e.vsctl("list-ports", "br-int"); ports != "" {
				t.Errorf("ports left: %q", ports)
			}
			after := e.snapshot()
			// Everything but the representors' names (and their aliases) is as before.
			for _, l := range after.Node {
				if strings.HasPrefix(l.Name, bed.HostPort(a.ContainerID, "eth0")[:8]) {
					t.Errorf("representor left under the pod's port name: %+v", l)
				}
			}
			_ = before
		})
	}
}

func TestNoDeviceIDPassesThrough(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	p := e.pod("a")
	c := e.b.ChainFull(false) // no Multus: no device ID anywhere
	res := e.add(c, p, nil)
	if len(res.Interfaces) != 1 || res.Interfaces[0].PciID != "" {
		t.Errorf("result changed without a device ID: %+v", res.Interfaces)
	}
	if !strings.Contains(e.inPod(p, "ip", "-d", "-o", "link", "show", "eth0"), "veth") {
		t.Error("Kube-OVN's veth was replaced without a device ID")
	}
	e.del(c, p, nil)
}

func TestNoPrevResultIsAnError(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	p := e.pod("a")
	before := e.snapshot()
	c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
	c.Plugins = c.Plugins[1:2] // vf-offload alone
	_, err := e.b.Add(e.ctx, c, p, "eth0", caps)
	if err == nil || !strings.Contains(err.Error(), "chained after Kube-OVN") {
		t.Fatalf("want a 'chained after Kube-OVN' error, got %v", err)
	}
	e.assertSame("vf-offload without prevResult", before)
}

func TestMissingBridge(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	p := e.pod("a")
	c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
	if _, err := e.b.Add(e.ctx, e.b.ChainKubeOVN(false), p, "eth0", nil); err != nil {
		t.Fatal(err)
	}
	want := e.snapshot()
	if err := e.b.Del(e.ctx, e.b.ChainKubeOVN(false), p, "eth0", nil); err != nil {
		t.Fatal(err)
	}
	c.Plugins[1]["bridge"] = "br-missing"
	_, err := e.b.Add(e.ctx, c, p, "eth0", caps)
	if err == nil || !strings.Contains(err.Error(), "br-missing") {
		t.Fatalf("want an error naming br-missing, got %v", err)
	}
	if d := bed.Diff(sansHostMAC(want), sansHostMAC(e.snapshot())); d != "" {
		t.Errorf("node changed by a failed ADD:\n%s", d)
	}
}

func TestThroughCNITool(t *testing.T) {
	e := newEnv(t, nic.ConnectX5(), 1)
	p := e.pod("a")
	before := e.snapshot()
	c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
	out, err := e.b.CNITool("add", c, p, "eth0", caps)
	if err != nil {
		t.Fatalf("cnitool add: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"pciID": "`+e.b.NIC.VFs[0].PCI+`"`) {
		t.Errorf("cnitool result lacks pciID: %s", out)
	}
	if out, err := e.b.CNITool("check", c, p, "eth0", caps); err != nil {
		t.Errorf("cnitool check: %v\n%s", err, out)
	}
	if out, err := e.b.CNITool("del", c, p, "eth0", caps); err != nil {
		t.Fatalf("cnitool del: %v\n%s", err, out)
	}
	e.assertSame("cnitool add+del", before)
}

// TestAddRollsBackAfterHandover: ADD fails (a test binary's injected
// failure) once Kube-OVN's port has been handed to the representor, once
// after the VF has moved into the pod (the handover came first), and once
// more after the representor is up: the rollback removes the port,
// waits for ovs-vswitchd, gives Kube-OVN's veth its name back and adds
// Kube-OVN's port again, so the node is as Kube-OVN left it and the pod
// reaches another one through its veth.
func TestAddRollsBackAfterHandover(t *testing.T) {
	for _, point := range []string{"ADD: hand Kube-OVN's port to the representor", "ADD: move VF into the pod", "ADD: representor up"} {
		t.Run(strings.ReplaceAll(strings.TrimPrefix(point, "ADD: "), " ", "_"), func(t *testing.T) {
			e := newEnv(t, nic.Agilio(), 2)
			a, b := e.pod("a"), e.pod("b")
			cb, capsB := e.full(false, e.b.NIC.VFs[1].PCI)
			e.add(cb, b, capsB)
			want := e.kubeOVNAlone(a)
			e.useFaultBinary()
			os.Setenv("VFO_FAULT_FAIL", point)
			defer os.Unsetenv("VFO_FAULT_FAIL")
			c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
			_, err := e.b.Add(e.ctx, c, a, "eth0", caps)
			if err == nil || !strings.Contains(err.Error(), "failure injected") {
				t.Fatalf("ADD should fail with the injected failure, got %v", err)
			}
			if d := e.settledDiff(want, sansHostMAC); d != "" {
				t.Errorf("after the failed ADD the node is not as Kube-OVN left it:\n%s", d)
			}
			if _, err := a.Ping(b.IP.IP, 3, 2e9); err != nil {
				t.Errorf("pod a (back on Kube-OVN's veth) cannot reach pod b: %v", err)
			}
		})
	}
}

// TestAddPortOnAnotherBridge: vf-offload is configured for a bridge that
// does not hold Kube-OVN's port (it is on br-int). ADD fails in the
// handover, whose transaction checks that the bridge holds the port, and
// the rollback leaves the node as Kube-OVN left it.
func TestAddPortOnAnotherBridge(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	a := e.pod("a")
	e.vsctl("add-br", "br-other", "--", "set", "Bridge", "br-other", "datapath_type=netdev")
	want := e.kubeOVNAlone(a)
	c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
	c.Plugins[1]["bridge"] = "br-other"
	_, err := e.b.Add(e.ctx, c, a, "eth0", caps)
	if err == nil || !strings.Contains(err.Error(), "not on the bridge br-other") {
		t.Fatalf("ADD should fail naming the bridge that does not hold the port, got %v", err)
	}
	if d := e.settledDiff(want, sansHostMAC); d != "" {
		t.Errorf("after the failed ADD the node is not as Kube-OVN left it:\n%s", d)
	}
}
