package offload_test

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// ovsdbGone are the points of ADD (veth state) where ovsdb-server is stopped
// while the plugin is paused, and what ADD must then do.
var ovsdbGone = []struct {
	point, where string
	addFails     bool // false: what ADD still needs of OVSDB is in its cache
	opened       bool // stop ovsdb-server only once ovs-vswitchd has reopened the port
}{
	{"ADD: set VF admin MAC", "before any OVSDB transaction", true, false},
	{"ADD: rename representor and set its MTU", "right before the port is handed over", true, false},
	{"ADD: hand Kube-OVN's port to the representor", "after the handover, the port reopened", false, true},
	{"ADD: configure VF in the pod", "after the handover and the VF's move", false, true},
}

// TestOVSDBGoneDuringAdd stops ovsdb-server while ADD is paused at a step
// and requires: ADD ends within a bounded time, failing with a message that
// names OVSDB and the endpoint; its rollback puts every link back as
// Kube-OVN left it (the one OVSDB change, the handover, either reached the
// database or ADD goes on without OVSDB); after ovsdb-server is back, DEL leaves the node exactly as before
// ADD, and a fresh ADD of the same VF works.
func TestOVSDBGoneDuringAdd(t *testing.T) {
	row := "%-40s %-46s %-10s %-58s %s"
	matrix := []string{fmt.Sprintf(row, "ovsdb-server stopped after", "", "ADD", "rollback (OVSDB still down)", "after DEL (OVSDB back)")}
	for _, tc := range ovsdbGone {
		t.Run(strings.ReplaceAll(strings.TrimPrefix(tc.point, "ADD: "), " ", "_"), func(t *testing.T) {
			e := newEnv(t, nic.Agilio(), 1)
			e.useFaultBinary()
			vf := e.b.NIC.VFs[0]
			p := e.pod("a")
			kubeOVN := e.kubeOVNAlone(p)
			before := e.snapshot()
			c, caps := e.full(false, vf.PCI)

			ps := e.addPaused(tc.point, c, p, caps)
			if tc.opened {
				e.waitReopened(kubeovn.PortName(p.ContainerID, "eth0"))
			}
			startDB := e.stopDB()
			took, err := ps.release(2 * time.Minute)
			// Every OVSDB call is bounded by a 10 s timeout and the rollback
			// makes at most a few: well under a minute even on a busy machine.
			if took > time.Minute {
				t.Errorf("ADD took %s after ovsdb-server stopped", took)
			}
			addOutcome, rollback := "completes", "none needed"
			if tc.addFails {
				if err == nil {
					t.Fatal("ADD succeeded without ovsdb-server")
				}
				msg := err.Error()
				t.Logf("ADD failed in %s: %v", took.Round(time.Millisecond), err)
				if !strings.Contains(strings.ToLower(msg), "ovsdb") || !strings.Contains(msg, e.b.OVS.DB) {
					t.Errorf("the error does not name OVSDB and its endpoint %s: %v", e.b.OVS.DB, err)
				}
				if cniCode(err) == 0 {
					t.Errorf("not a CNI error: %v", err)
				}
				addOutcome, rollback = "fails", "links as Kube-OVN left them, no state"
				// With ovsdb-server still down: every link is back as Kube-OVN
				// left it. Except br-int's own interface, whose MTU is
				// ovs-vswitchd's (the smallest of its ports'): it followed
				// the representor's 1500 while that carried the port's name,
				// and vswitchd, cut off from its database, does not lower it
				// again; the comparison after DEL, with OVSDB back, has it.
				want := kubeOVN
				want.Bridges, want.Interfaces, want.State = nil, nil, nil
				got, serr := e.b.SnapshotNoOVS()
				if serr != nil {
					t.Fatal(serr)
				}
				got.State = nil
				d := bed.Diff(sansBridgeMTU(sansHostMAC(want)), sansBridgeMTU(sansHostMAC(got)))
				if d != "" {
					t.Errorf("after the failed ADD the links are not as Kube-OVN left them:\n%s", d)
				}
				// The handover had not reached OVSDB: nothing is left to
				// finish, so no state either.
				if att, lerr := state.NewStore(e.b.StateDir).Load(vf.PCI); lerr != nil || att != nil {
					t.Errorf("a complete rollback left state behind: %+v %v", att, lerr)
				}
			} else {
				if err != nil {
					t.Fatalf("ADD failed although no OVSDB call was left: %v", err)
				}
				rollback = "none (the wait for vswitchd is answered from the cache)"
			}
			startDB()
			if !tc.addFails {
				e.assertWired(p, vf)
			}
			e.del(c, p, caps)
			outcome := "node as before ADD"
			if d := e.settledDiff(before, nil); d != "" {
				outcome = "DIFFERS"
				t.Errorf("after DEL the node differs from before ADD:\n%s", d)
			}
			e.add(c, p, caps)
			e.assertWired(p, vf)
			e.del(c, p, caps)
			if d := e.settledDiff(before, nil); d != "" {
				t.Errorf("after a fresh ADD and DEL the node differs from before ADD:\n%s", d)
			}
			matrix = append(matrix, fmt.Sprintf(row, strings.TrimPrefix(tc.point, "ADD: "), "("+tc.where+")", addOutcome, rollback, outcome))
		})
	}
	t.Logf("OVSDB-gone matrix:\n%s", strings.Join(matrix, "\n"))
}

// stopDB stops ovsdb-server (its database file stays) and returns the
// function that starts it again; the test's cleanup starts it if the test
// ends before.
func (e *env) stopDB() (start func()) {
	e.t.Helper()
	if err := e.b.OVS.StopDB(); err != nil {
		e.t.Fatal(err)
	}
	up := false
	e.t.Cleanup(func() {
		if !up {
			_ = e.b.OVS.StartDB()
		}
	})
	return func() {
		e.t.Helper()
		if err := e.b.OVS.StartDB(); err != nil {
			e.t.Fatal(err)
		}
		up = true
	}
}

// waitReopened waits until ovs-vswitchd has reopened port under the
// OpenFlow port number the handover requested (the upper half of the
// range); the plugin's OVSDB session receives that update at the same time.
func (e *env) waitReopened(port string) {
	e.t.Helper()
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out, err := e.b.OVS.Vsctl("get", "Interface", port, "ofport")
		if n, cerr := strconv.Atoi(strings.TrimSpace(out)); err == nil && cerr == nil && n >= 32768 {
			return
		}
		if time.Now().After(end) {
			e.t.Fatalf("ovs-vswitchd did not reopen %s within 30 s: ofport %q %v", port, out, err)
		}
	}
}

// sansBridgeMTU blanks the MTU of br-int's own interface.
func sansBridgeMTU(s bed.Snapshot) bed.Snapshot {
	node := make([]bed.Link, len(s.Node))
	copy(node, s.Node)
	for i, l := range node {
		if l.Name == "br-int" {
			node[i].MTU = 0
		}
	}
	s.Node = node
	return s
}

// TestOVSDBGoneDuringAdopt stops ovsdb-server while the already-offloaded
// ADD is paused after it has written the state file and the device-info
// file (which need no OVSDB and are written while the session opens) and
// before it marks the port. ADD must fail naming OVSDB and its endpoint,
// remove its state file and put the device-info file back, and leave
// Kube-OVN's wiring alone; with OVSDB back, the port carries no marker,
// the runtime's DEL unwires the VF, and the next ADD and DEL leave the node
// as a clean ADD and DEL do.
func TestOVSDBGoneDuringAdopt(t *testing.T) {
	a := newAdoptEnv(t)
	e, vf, p, c, caps := a.env, a.vf, a.p, a.c, a.caps
	info := caps["CNIDeviceInfoFile"].(string)
	infoBefore, err := os.ReadFile(info)
	if err != nil {
		t.Fatal(err)
	}

	ps := e.addPaused("ADD (adopt): state recorded", c, p, caps)
	if att, err := state.NewStore(e.b.StateDir).Load(vf.PCI); err != nil || att == nil {
		t.Fatalf("paused after recording, but no state file: %+v %v", att, err)
	}
	startDB := e.stopDB()
	took, err := ps.release(2 * time.Minute)
	if err == nil {
		t.Fatal("ADD succeeded without ovsdb-server")
	}
	t.Logf("ADD failed in %s: %v", took.Round(time.Millisecond), err)
	if msg := err.Error(); !strings.Contains(strings.ToLower(msg), "ovsdb") || !strings.Contains(msg, e.b.OVS.DB) {
		t.Errorf("the error does not name OVSDB and its endpoint %s: %v", e.b.OVS.DB, err)
	}
	if att, err := state.NewStore(e.b.StateDir).Load(vf.PCI); err != nil || att != nil {
		t.Errorf("the failed ADD left state behind: %+v %v", att, err)
	}
	if got, err := os.ReadFile(info); err != nil || !bytes.Equal(got, infoBefore) {
		t.Errorf("device-info file after the failed ADD = %q (%v), want it as before: %q", got, err, infoBefore)
	}
	port := kubeovn.PortName(p.ContainerID, "eth0")
	if links := e.inPod(p, "ip", "-o", "link", "show", "eth0"); !strings.Contains(links, "altname vfo"+e.b.NIC.ID+"-vf"+itoa(vf.Index)) {
		t.Errorf("after the failed ADD the pod's eth0 is not the VF Kube-OVN wired: %s", links)
	}
	if rep := e.node("ip", "-o", "link", "show", port); !strings.Contains(rep, "altname vfo"+e.b.NIC.ID+"-rep"+itoa(vf.Index)) {
		t.Errorf("after the failed ADD %s is not the representor: %s", port, rep)
	}

	startDB()
	if ids := e.vsctl("get", "interface", port, "external_ids"); strings.Contains(ids, "vf-offload") {
		t.Errorf("the failed ADD left markers on %s: %s", port, ids)
	}
	// The runtime's DEL after the failed ADD finds no state: it unwires what
	// Kube-OVN wired, and gives the representor its stable name, as DEL
	// without a state file does (TestDelWithoutStateFile).
	e.del(c, p, caps)
	if out := e.node("ip", "-o", "link", "show", vf.Netdev); !strings.Contains(out, "altname vfo"+e.b.NIC.ID+"-vf"+itoa(vf.Index)) {
		t.Errorf("after DEL the VF is not home as %s: %s", vf.Netdev, out)
	}
	if rep := e.node("ip", "-o", "link", "show", "pf03000vf0"); !strings.Contains(rep, "-rep"+itoa(vf.Index)) {
		t.Errorf("after DEL the representor is not under its stable name: %s", rep)
	}
	if ports := e.vsctl("list-ports", "br-int"); strings.Contains(ports, port) {
		t.Errorf("after DEL br-int still holds %s: %q", port, ports)
	}
	// The next adoption and its DEL, with state, leave the node as a clean
	// ADD and DEL do: the representor gets the node's name back.
	e.add(c, p, caps)
	e.assertWired(p, vf)
	e.del(c, p, caps)
	if d := e.settledDiff(a.clean, nil); d != "" {
		t.Errorf("after the next ADD and DEL the node differs from after a clean ADD and DEL:\n%s", d)
	}
}
