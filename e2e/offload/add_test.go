package offload_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

func profiles() []nic.Profile { return []nic.Profile{nic.Agilio(), nic.ConnectX5()} }

var linkLine = regexp.MustCompile(`(?m)^\d+: `)

// assertWired checks the veth-state ADD end to end for pod p on VF vf.
func (e *env) assertWired(p *bed.Pod, vf nic.VF) {
	e.t.Helper()
	port := kubeovn.PortName(p.ContainerID, "eth0")
	// In the pod: eth0 is the VF (its altname says so), with the pod's MAC,
	// MTU, address and default route; Kube-OVN's veth is gone.
	links := e.inPod(p, "ip", "-o", "link", "show")
	if !strings.Contains(links, "altname vfo"+e.b.NIC.ID+"-vf"+itoa(vf.Index)) {
		e.t.Fatalf("eth0 in pod %s is not VF %d:\n%s", p.Name, vf.Index, links)
	}
	// Count link lines only: ip may add a line on stderr ("Error: Peer
	// netns reference is invalid.") while other beds' netns come and go.
	if n := len(linkLine.FindAllString(links, -1)); n != 2 {
		e.t.Errorf("pod %s should hold lo and the VF only, has %d links:\n%s", p.Name, n, links)
	}
	eth0 := e.inPod(p, "ip", "-o", "link", "show", "eth0")
	for _, want := range []string{"link/ether " + p.MAC.String(), "mtu 1400", "state UP"} {
		if !strings.Contains(eth0, want) {
			e.t.Errorf("pod %s eth0 lacks %q: %s", p.Name, want, eth0)
		}
	}
	if addr := e.inPod(p, "ip", "-o", "-4", "addr", "show", "eth0"); !strings.Contains(addr, p.IP.String()) {
		e.t.Errorf("pod %s eth0 lacks %s: %s", p.Name, p.IP, addr)
	}
	if r := e.inPod(p, "ip", "route", "show", "default"); !strings.Contains(r, "via 10.16.0.1 dev eth0") {
		e.t.Errorf("pod %s default route: %q", p.Name, r)
	}
	// On the node: the representor carries the port name, is up with the
	// pod's MTU, and is an open port of br-int with Kube-OVN's external_ids.
	rep := e.node("ip", "-o", "link", "show", port)
	if !strings.Contains(rep, "altname vfo"+e.b.NIC.ID+"-rep"+itoa(vf.Index)) || !strings.Contains(rep, "mtu 1400") || !strings.Contains(rep, "UP") {
		e.t.Errorf("%s is not VF %d's representor, up with MTU 1400: %s", port, vf.Index, rep)
	}
	if e.b.NIC.VFs[vf.Index].Rep != port {
		if out, err := e.b.Node("ip", "link", "show", vf.Rep); err == nil {
			e.t.Errorf("representor still present under its old name %s: %s", vf.Rep, out)
		}
	}
	ports := e.vsctl("list-ports", "br-int")
	if ports != port && !strings.Contains(ports, port+"\n") && !strings.HasSuffix(ports, "\n"+port) {
		e.t.Errorf("br-int ports %q lack %s", ports, port)
	}
	ids := e.vsctl("get", "interface", port, "external_ids")
	for _, want := range []string{"iface-id=" + p.Name + ".default", "vendor=kube-ovn", "pod_name=" + p.Name,
		`pod_netns="` + p.Netns + `"`, `vf-offload-pci="` + vf.PCI + `"`, "vf-offload-container=" + p.ContainerID} {
		if !strings.Contains(strings.ReplaceAll(ids, `"`, ""), strings.ReplaceAll(want, `"`, "")) {
			e.t.Errorf("external_ids of %s lack %s: %s", port, want, ids)
		}
	}
	if of := e.vsctl("get", "interface", port, "ofport"); of == "-1" || of == "[]" || of == "0" {
		e.t.Errorf("port %s not open: ofport %s, error %s", port, of, e.vsctl("get", "interface", port, "error"))
	}
	// The VF's host name is free: the VF left the node.
	if out, err := e.b.Node("ip", "link", "show", vf.Netdev); err == nil {
		e.t.Errorf("VF %s still on the node: %s", vf.Netdev, out)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func (e *env) assertSame(what string, before bed.Snapshot) {
	e.t.Helper()
	if d := e.settledDiff(before, nil); d != "" {
		e.t.Errorf("%s: node differs from before ADD:\n%s", what, d)
	}
}

// settledDiff compares the node with want, after norm when not nil. The
// snapshot's OVS part is read from the database, which is final when a
// call returns; ovs-vswitchd applies a port removal asynchronously, and with
// it the MTU it gives br-int's own interface (the smallest of its ports').
// So a difference gets a short while to vanish; a leak stays.
func (e *env) settledDiff(want bed.Snapshot, norm func(bed.Snapshot) bed.Snapshot) string {
	e.t.Helper()
	if norm == nil {
		norm = func(s bed.Snapshot) bed.Snapshot { return s }
	}
	want = norm(want)
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		d := bed.Diff(want, norm(e.snapshot()))
		if d == "" || time.Now().After(deadline) {
			return d
		}
	}
}

func TestVethStateAddCheckDel(t *testing.T) {
	for _, prof := range profiles() {
		t.Run(prof.Name, func(t *testing.T) {
			e := newEnv(t, prof, 2)
			a, b := e.pod("a"), e.pod("b")
			before := e.snapshot()
			ca, capsA := e.full(false, e.b.NIC.VFs[0].PCI)
			cb, capsB := e.full(false, e.b.NIC.VFs[1].PCI)
			res := e.add(ca, a, capsA)
			e.add(cb, b, capsB)
			e.assertWired(a, e.b.NIC.VFs[0])
			e.assertWired(b, e.b.NIC.VFs[1])

			// Result: Kube-OVN's IPs and routes unchanged, pciID and MTU on
			// the pod interface, the representor appended as a host interface.
			if len(res.Interfaces) != 2 || res.Interfaces[0].PciID != e.b.NIC.VFs[0].PCI || res.Interfaces[0].Mtu != 1400 ||
				res.Interfaces[1].Sandbox != "" || res.Interfaces[1].Name != kubeovn.PortName(a.ContainerID, "eth0") {
				t.Errorf("unexpected interfaces in result: %+v %+v", res.Interfaces[0], res.Interfaces)
			}
			if len(res.IPs) != 1 || res.IPs[0].Address.String() != a.IP.String() || len(res.Routes) == 0 {
				t.Errorf("IPs/routes changed: %+v %+v", res.IPs, res.Routes)
			}
			// The device-info file names the representor.
			info, err := os.ReadFile(capsA["CNIDeviceInfoFile"].(string))
			if err != nil || !strings.Contains(string(info), `"representor-device":"`+kubeovn.PortName(a.ContainerID, "eth0")+`"`) {
				t.Errorf("device-info file lacks the representor: %s %v", info, err)
			}
			// State: 0700 dir, 0600 state and lock files.
			st, err := os.Stat(e.b.StateDir)
			if err != nil || st.Mode().Perm() != 0o700 {
				t.Errorf("stateDir mode: %v %v", st.Mode(), err)
			}
			for _, suffix := range []string{".json", ".lock"} {
				f, err := os.Stat(filepath.Join(e.b.StateDir, e.b.NIC.VFs[0].PCI+suffix))
				if err != nil || f.Mode().Perm() != 0o600 {
					t.Errorf("%s file of VF 0: want mode 0600: %v %v", suffix, f, err)
				}
			}

			if _, err := a.Ping(b.IP.IP, 3, 2*time.Second); err != nil {
				t.Errorf("pod a -> pod b through their VFs: %v", err)
			}
			if err := e.b.Check(e.ctx, ca, a, "eth0", capsA); err != nil {
				t.Errorf("CHECK after ADD: %v", err)
			}
			// CHECK must notice a broken wiring: representor down.
			e.node("ip", "link", "set", kubeovn.PortName(a.ContainerID, "eth0"), "down")
			if err := e.b.Check(e.ctx, ca, a, "eth0", capsA); err == nil || !strings.Contains(err.Error(), "down") {
				t.Errorf("CHECK with the representor down: %v", err)
			}
			e.node("ip", "link", "set", kubeovn.PortName(a.ContainerID, "eth0"), "up")

			e.del(ca, a, capsA)
			e.del(cb, b, capsB)
			e.assertSame("after DEL", before)
			e.del(ca, a, capsA) // a second DEL changes nothing
			e.assertSame("after second DEL", before)
		})
	}
}

func TestAddDelAddSameVF(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	vf := e.b.NIC.VFs[0]
	before := e.snapshot()
	for i := range 3 {
		p := e.pod("p" + itoa(i))
		c, caps := e.full(false, vf.PCI)
		e.add(c, p, caps)
		e.assertWired(p, vf)
		e.del(c, p, caps)
		if _, err := p.Destroy(); err != nil {
			t.Fatal(err)
		}
		e.assertSame("round "+itoa(i), before)
	}
}

func TestCNIVersions(t *testing.T) {
	e := newEnv(t, nic.ConnectX5(), 4)
	before := e.snapshot()
	for i, v := range []string{"0.3.1", "0.4.0", "1.0.0", "1.1.0"} {
		p := e.pod("v" + itoa(i))
		c, caps := e.full(false, e.b.NIC.VFs[i].PCI)
		c.CNIVersion = v
		r, err := e.b.Add(e.ctx, c, p, "eth0", caps)
		if err != nil {
			t.Fatalf("ADD %s: %v", v, err)
		}
		raw, _ := json.Marshal(r)
		if r.Version() != v {
			t.Errorf("cniVersion %s: result says %s", v, r.Version())
		}
		if hasPci := strings.Contains(string(raw), `"pciID"`); hasPci != (v == "1.1.0") {
			t.Errorf("cniVersion %s: pciID present=%v: %s", v, hasPci, raw)
		}
		e.assertWired(p, e.b.NIC.VFs[i])
		if err := e.b.Check(e.ctx, c, p, "eth0", caps); err != nil && v != "0.3.1" {
			t.Errorf("CHECK %s: %v (%s)", v, err, raw)
		}
		e.del(c, p, caps)
		if _, err := p.Destroy(); err != nil {
			t.Fatal(err)
		}
	}
	e.assertSame("after all versions", before)
}
