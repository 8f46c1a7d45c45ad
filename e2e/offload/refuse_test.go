package offload_test

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
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
	port = kubeovn.PortName(p.ContainerID, "eth0")
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

// TestAddRefusesVFOfOtherInterface: Multus can hand the VF a pod's eth0
// holds to the same pod's second interface (two NADs on one resource). ADD
// of that interface is refused with an error saying so; the node keeps the
// first interface's wiring, the second keeps Kube-OVN's veth, and its DEL
// (which the runtime runs after the failed ADD) leaves eth0 alone.
func TestAddRefusesVFOfOtherInterface(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	a := e.pod("a")
	vf := e.b.NIC.VFs[0]
	before := e.snapshot()
	c, caps := e.full(false, vf.PCI)
	e.add(c, a, caps)
	wired := e.snapshot()
	// The second NAD: Kube-OVN names the interface's port after the ifname
	// and its provider, so the two ports do not share an iface-id.
	c1 := c.Clone()
	c1.Plugins[0]["provider"] = "net1.default.ovn"
	_, err := e.b.Add(e.ctx, c1, a, "net1", caps)
	want := "VF " + vf.PCI + " is already this pod's interface eth0 (container " + a.ContainerID + "); one VF cannot serve two interfaces"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("ADD of the VF for a second interface: want %q, got %v", want, err)
	}
	refused := e.snapshot()
	if err := e.b.Check(e.ctx, c, a, "eth0", caps); err != nil {
		t.Errorf("eth0 broken by the refused ADD: %v", err)
	}
	port := kubeovn.PortName(a.ContainerID, "net1")
	if ids := e.vsctl("get", "interface", port, "external_ids"); strings.Contains(ids, "vf-offload") {
		t.Errorf("refused net1's port %s was changed: %s", port, ids)
	}
	if l := e.inPod(a, "ip", "-d", "-o", "link", "show", "net1"); !strings.Contains(l, "veth") {
		t.Errorf("refused net1 is not Kube-OVN's veth: %s", l)
	}
	if err := e.b.Del(e.ctx, c1, a, "net1", caps); err != nil {
		t.Fatalf("DEL of the refused net1: %v", err)
	}
	if d := e.settledDiff(wired, sansHostMAC); d != "" {
		t.Errorf("after the refused net1's ADD and DEL the node is not as eth0's ADD left it:\n%s", d)
	}
	e.assertWired(a, vf)
	// The refused ADD changed nothing but what Kube-OVN did for net1.
	kc := e.b.ChainKubeOVN(false)
	kc.Plugins[0]["provider"] = "net1.default.ovn"
	if _, err := e.b.Add(e.ctx, kc, a, "net1", nil); err != nil {
		t.Fatal(err)
	}
	if d := bed.Diff(sansHostMAC(e.snapshot()), sansHostMAC(refused)); d != "" {
		t.Errorf("the refused ADD left more than Kube-OVN's net1:\n%s", d)
	}
	if err := e.b.Del(e.ctx, kc, a, "net1", nil); err != nil {
		t.Fatal(err)
	}
	e.del(c, a, caps)
	e.assertSame("eth0 ADD, refused net1 ADD and DEL, eth0 DEL", before)
	data, err := os.ReadFile(e.b.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	logs := string(data)
	if !strings.Contains(logs, "VF belongs to this container's other interface: nothing to undo for net1") ||
		!strings.Contains(logs, "holder_ifname=eth0") {
		t.Errorf("DEL of net1 does not log that eth0 holds the VF:\n%s", logs)
	}
	// Each of vf-offload's five calls (ADD, CHECK, DEL of eth0; ADD, DEL of
	// net1) logs once, at info level, where its device ID came from.
	var src []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, `msg="device ID"`) {
			src = append(src, l)
			if !strings.Contains(l, "level=INFO") || !strings.Contains(l, "device="+vf.PCI) ||
				!strings.Contains(l, "source=runtimeConfig.deviceID") {
				t.Errorf("device ID line lacks level=INFO, device=%s or source=runtimeConfig.deviceID: %s", vf.PCI, l)
			}
		}
	}
	if len(src) != 5 {
		t.Errorf("%d device ID lines, want 5 (one per call):\n%s", len(src), strings.Join(src, "\n"))
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
			// 3 VFs: while a and b hold two, the third's representor still
			// carries the node's naming, which DEL's names are read off.
			e := newEnv(t, prof, 3)
			a, b := e.pod("a"), e.pod("b")
			before := e.snapshot()
			// Multus hands the device ID to every plugin: the stand-in wires the VF itself.
			ca, capsA := e.full(true, e.b.NIC.VFs[0].PCI)
			cb, capsB := e.full(true, e.b.NIC.VFs[1].PCI)
			e.add(ca, a, capsA)
			e.add(cb, b, capsB)
			port := kubeovn.PortName(a.ContainerID, "eth0")
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
			// the representor, whose original name is unknown, gets the name
			// udev gives it, derived from the uplink's.
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
			for _, vf := range e.b.NIC.VFs[:2] {
				want := udevRepName[prof.Name](vf)
				out := e.node("ip", "-o", "link", "show")
				if got := nameWithAltname(out, "vfo"+e.b.NIC.ID+"-rep"+strconv.Itoa(vf.Index)); got != want {
					t.Errorf("representor of VF %d is back as %q, want %q", vf.Index, got, want)
				}
			}
			after := e.snapshot()
			for _, l := range after.Node {
				if strings.HasPrefix(l.Name, kubeovn.PortName(a.ContainerID, "eth0")[:8]) {
					t.Errorf("representor left under the pod's port name: %+v", l)
				}
			}
			_ = before
		})
	}
}

// TestAlreadyOffloadedUdevNameTaken: when another link holds the udev name
// by DEL time, the representor gets its stable name and the other link is
// left alone.
func TestAlreadyOffloadedUdevNameTaken(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	a := e.pod("a")
	vf := e.b.NIC.VFs[0]
	c, caps := e.full(true, vf.PCI)
	e.add(c, a, caps)
	e.node("ip", "link", "add", vf.Rep, "type", "veth", "peer", "name", "vfotaken0")
	defer e.node("ip", "link", "del", vf.Rep)
	index := func() string { i, _, _ := strings.Cut(e.node("ip", "-o", "link", "show", vf.Rep), ":"); return i }
	other := index()
	e.del(c, a, caps)
	out := e.node("ip", "-o", "link", "show")
	if got := nameWithAltname(out, "vfo"+e.b.NIC.ID+"-rep0"); got != "pf03000vf0" {
		t.Errorf("representor is back as %q, want its stable name pf03000vf0", got)
	}
	if i := index(); i != other {
		t.Errorf("%s is now link %s, was link %s", vf.Rep, i, other)
	}
}

// udevRepName is the name DEL gives VF vf's representor back after
// Kube-OVN renamed it: on both emulated NICs its original name, read off
// an idle sibling representor's naming (the Agilio's udev "enp3s0npf0vfN",
// the ConnectX-5's vendor-rule "enp3s0f0_N").
var udevRepName = map[string]func(nic.VF) string{
	"agilio":    func(vf nic.VF) string { return vf.Rep },
	"connectx5": func(vf nic.VF) string { return vf.Rep },
}

// nameWithAltname returns from "ip -o link show" output the name of the
// link that carries altname alt, "" if none.
func nameWithAltname(out, alt string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && slices.Contains(f, alt) {
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			return name
		}
	}
	return ""
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
