package offload_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
)

// nodeOnly drops the pods' links from a snapshot, for pods that are gone.
func nodeOnly(s bed.Snapshot) bed.Snapshot {
	s.Pods = nil
	return s
}

func (e *env) assertNodeSame(what string, before bed.Snapshot) {
	e.t.Helper()
	if d := e.settledDiff(before, nodeOnly); d != "" {
		e.t.Errorf("%s: node differs from before ADD:\n%s", what, d)
	}
}

func TestDelWithoutPrevResult(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	p := e.pod("a")
	before := e.snapshot()
	c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
	e.add(c, p, caps)
	// Without libcni's cached result, DEL reaches the plugins with no prevResult.
	if err := os.RemoveAll(filepath.Join(e.b.CacheDir, "results")); err != nil {
		t.Fatal(err)
	}
	e.del(c, p, caps)
	calls, err := e.b.Calls("vf-offload")
	if err != nil {
		t.Fatal(err)
	}
	last := calls[len(calls)-1]
	if last.Command != "DEL" || last.Stdin["prevResult"] != nil {
		t.Fatalf("last vf-offload call should be a DEL without prevResult: %s %v", last.Command, last.Stdin["prevResult"])
	}
	e.assertSame("DEL without prevResult", before)
}

func TestDelWithoutStateFile(t *testing.T) {
	e := newEnv(t, nic.ConnectX5(), 1)
	p := e.pod("a")
	c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
	e.add(c, p, caps)
	if err := os.RemoveAll(e.b.StateDir); err != nil {
		t.Fatal(err)
	}
	e.del(c, p, caps)
	// With no record of the original names, the VF comes home under the name
	// kept in its ifalias and the representor gets its stable derived name;
	// nothing stays in the pod or on br-int.
	vf := e.b.NIC.VFs[0]
	if links := e.inPod(p, "ip", "-o", "link", "show"); strings.Contains(links, "eth0") {
		t.Errorf("VF left in the pod: %s", links)
	}
	if out := e.node("ip", "-o", "link", "show", vf.Netdev); !strings.Contains(out, "altname vfo"+e.b.NIC.ID+"-vf0") {
		t.Errorf("VF not back on the node as %s:\n%s", vf.Netdev, out)
	}
	if rep := e.node("ip", "-o", "link", "show", "pf03000vf0"); !strings.Contains(rep, "-rep0") {
		t.Errorf("representor not renamed to its stable name: %s", rep)
	}
	if ports := e.vsctl("list-ports", "br-int"); ports != "" {
		t.Errorf("ports left on br-int: %q", ports)
	}
}

func TestDelAfterNetnsGone(t *testing.T) {
	for _, clash := range []bool{false, true} {
		name := "returns-as-eth0"
		if clash {
			name = "returns-as-devN"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nic.Agilio(), 1)
			p := e.pod("a")
			before := e.snapshot()
			c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
			e.add(c, p, caps)
			if clash {
				e.node("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "clashpeer")
			}
			back, err := p.Destroy()
			if err != nil {
				t.Fatal(err)
			}
			got := back[e.b.NIC.VFs[0].PCI]
			if clash != strings.HasPrefix(got, "dev") {
				t.Fatalf("the bed returned the VF as %q", got)
			}
			e.del(c, p, caps)
			if clash {
				e.node("ip", "link", "del", "eth0")
			}
			e.assertNodeSame("DEL after the pod netns was destroyed", before)
		})
	}
}

func TestDelUnknownContainer(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 2)
	a, stranger := e.pod("a"), e.pod("stranger")
	c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
	e.add(c, a, caps)
	before := e.snapshot()
	// A DEL for a container never added, naming the VF pod a holds and
	// naming no VF at all: both succeed and change nothing.
	e.del(c, stranger, caps)
	c2, caps2 := e.full(false, e.b.NIC.VFs[1].PCI)
	e.del(c2, stranger, caps2)
	e.assertSame("DEL of an unknown container", before)
	if err := e.b.Check(e.ctx, c, a, "eth0", caps); err != nil {
		t.Errorf("pod a broken by a stranger's DEL: %v", err)
	}
}
