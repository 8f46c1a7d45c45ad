package offload_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

func cniCode(err error) uint {
	var e *types.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestStatus(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	c := e.b.ChainFull(false)
	if err := e.b.Status(e.ctx, c); err != nil {
		t.Errorf("STATUS on a ready node: %v", err)
	}
	missing := c.Clone()
	missing.Plugins[1]["bridge"] = "br-nothere"
	if err := e.b.Status(e.ctx, missing); cniCode(err) != 50 || !strings.Contains(err.Error(), "br-nothere") {
		t.Errorf("STATUS without the bridge: want code 50 naming br-nothere, got %v", err)
	}
	noDB := c.Clone()
	noDB.Plugins[1]["ovsdb"] = "unix:" + filepath.Join(e.b.Dir, "no.sock")
	if err := e.b.Status(e.ctx, noDB); cniCode(err) != 50 {
		t.Errorf("STATUS without OVSDB: want code 50, got %v", err)
	}
	strict := c.Clone()
	strict.Plugins[1]["requireOffload"] = true
	err := e.b.Status(e.ctx, strict)
	if cniCode(err) != 51 || !strings.Contains(err.Error(), "hw-offload") {
		t.Errorf("STATUS with requireOffload on the userspace bed: want code 51 about hw-offload, got %v", err)
	}
	e.vsctl("set", "Open_vSwitch", ".", "other_config:hw-offload=true")
	err = e.b.Status(e.ctx, strict)
	if cniCode(err) != 51 || !strings.Contains(err.Error(), "switchdev") {
		t.Errorf("STATUS with hw-offload on but no switchdev eswitch: want code 51 about switchdev, got %v", err)
	}
}

func TestGC(t *testing.T) {
	e := newEnv(t, nic.ConnectX5(), 3)
	a, b, orphan := e.pod("a"), e.pod("b"), e.pod("orphan")
	before := e.snapshot()
	ca, capsA := e.full(false, e.b.NIC.VFs[0].PCI)
	cb, capsB := e.full(false, e.b.NIC.VFs[1].PCI)
	co, capsO := e.full(false, e.b.NIC.VFs[2].PCI)
	e.add(ca, a, capsA)
	e.add(cb, b, capsB)
	e.add(co, orphan, capsO)
	// The orphan's state is lost: only its port's markers tell it is ours.
	if err := os.Remove(filepath.Join(e.b.StateDir, e.b.NIC.VFs[2].PCI+".json")); err != nil {
		t.Fatal(err)
	}
	// A port vf-offload does not own must survive GC.
	e.node("ip", "link", "add", "foreign0", "type", "veth", "peer", "name", "foreign1")
	e.vsctl("add-port", "br-int", "foreign0")

	if err := e.b.GC(e.ctx, e.b.ChainFull(false), types.GCAttachment{ContainerID: a.ContainerID, IfName: "eth0"}); err != nil {
		t.Fatalf("GC: %v", err)
	}
	if err := e.b.Check(e.ctx, ca, a, "eth0", capsA); err != nil {
		t.Errorf("the valid attachment was disturbed by GC: %v", err)
	}
	ports := e.vsctl("list-ports", "br-int")
	for _, p := range []*bed.Pod{b, orphan} {
		if strings.Contains(ports, kubeovn.PortName(p.ContainerID, "eth0")) {
			t.Errorf("GC left pod %s's port: %s", p.Name, ports)
		}
		if links := e.inPod(p, "ip", "-o", "link", "show"); strings.Contains(links, "eth0") {
			t.Errorf("GC left the VF in pod %s: %s", p.Name, links)
		}
	}
	if !strings.Contains(ports, "foreign0") {
		t.Errorf("GC removed a port it does not own: %s", ports)
	}
	if _, err := os.Stat(filepath.Join(e.b.StateDir, e.b.NIC.VFs[1].PCI+".json")); !os.IsNotExist(err) {
		t.Errorf("GC left pod b's state file: %v", err)
	}
	// VF 1 (state known) is back exactly; VF 2 (no state) is home under its
	// own name (kept in its ifalias), its representor under the stable name.
	if out := e.node("ip", "-o", "link", "show", e.b.NIC.VFs[1].Netdev); !strings.Contains(out, "-vf1") {
		t.Errorf("VF 1 not home: %s", out)
	}
	if out := e.node("ip", "-o", "link", "show", e.b.NIC.VFs[1].Rep); !strings.Contains(out, "-rep1") {
		t.Errorf("representor 1 not home: %s", out)
	}
	if out := e.node("ip", "-o", "link", "show", e.b.NIC.VFs[2].Netdev); !strings.Contains(out, "-vf2") {
		t.Errorf("orphan VF 2 not home under its own name: %s", out)
	}
	if out := e.node("ip", "-o", "link", "show"); !strings.Contains(out, "pf03000vf2") {
		t.Errorf("orphan VF 2 or its representor not released:\n%s", out)
	}
	e.vsctl("del-port", "br-int", "foreign0")
	e.node("ip", "link", "del", "foreign0")
	e.del(ca, a, capsA)
	e.del(cb, b, capsB)
	_ = before
}

func TestCheckRequireOffload(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	p := e.pod("a")
	c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
	e.add(c, p, caps)
	if err := e.b.Check(e.ctx, c, p, "eth0", caps); err != nil {
		t.Fatalf("CHECK without requireOffload: %v", err)
	}
	log, err := os.ReadFile(e.b.LogFile)
	if err != nil || !strings.Contains(string(log), "not set up to offload") {
		t.Errorf("CHECK should warn that the node cannot offload: %v", err)
	}
	strict := c.Clone()
	strict.Plugins[1]["requireOffload"] = true
	if err := e.b.Check(e.ctx, strict, p, "eth0", caps); err == nil || !strings.Contains(err.Error(), "cannot offload") {
		t.Errorf("CHECK with requireOffload on the userspace bed: want failure, got %v", err)
	}
	e.del(c, p, caps)
}

// TestLockTimeoutIsTryAgain holds the VF's lock the way another plugin
// process would and expects ADD to give up with CNI error 11, changing nothing.
func TestLockTimeoutIsTryAgain(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	p := e.pod("a")
	vf := e.b.NIC.VFs[0]
	if err := os.MkdirAll(e.b.StateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(e.b.StateDir, vf.PCI+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	c, caps := e.full(false, vf.PCI)
	if _, err := e.b.Add(e.ctx, c, p, "eth0", caps); err == nil {
		t.Fatal("ADD succeeded while the VF's lock was held")
	}
	vfo := c.Clone()
	vfo.Plugins = vfo.Plugins[1:2]
	// DEL of vf-offload alone, so the Kube-OVN stand-in's DEL does not hide the code.
	err = e.b.Del(e.ctx, vfo, p, "eth0", caps)
	if cniCode(err) != 11 || !strings.Contains(err.Error(), vf.PCI) {
		t.Errorf("want CNI error 11 naming %s, got %v", vf.PCI, err)
	}
}
