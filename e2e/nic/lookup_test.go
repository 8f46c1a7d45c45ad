package nic

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

type found struct {
	PCI, Uplink, Rep, PFNetdev, Error string
	Index                             int
}

// runLookup runs vf-offload's own lookup (sriovprobe -vfo) in the bed and
// returns what it found and how many sysfs requests it made.
func runLookup(t *testing.T, n *NIC, bin, pci string, hint ...string) (found, int64) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	arg := pci
	if len(hint) > 0 {
		arg += "=" + hint[0]
	}
	cmd := n.Command(bin, "-vfo", arg)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	before := n.SysfsRequests()
	if err := cmd.Run(); err != nil {
		t.Fatalf("sriovprobe -vfo %s: %v\n%s", pci, err, stderr.String())
	}
	reqs := n.SysfsRequests() - before
	var fs []found
	if err := json.Unmarshal(stdout.Bytes(), &fs); err != nil || len(fs) != 1 {
		t.Fatalf("sriovprobe -vfo output %q: %v", stdout.String(), err)
	}
	return fs[0], reqs
}

// TestLookupReadsConstant: vf-offload's lookup finds the same VF index,
// uplink, representor and PF netdev as the NIC has, for the first and the
// last VF, on a NIC with 4 VFs and on a full one, with a number of sysfs
// requests that grows neither with the VF's index nor with the number of
// VFs (sriovnet without devlink reads a file per netdev).
func TestLookupReadsConstant(t *testing.T) {
	requireRoot(t)
	bin := buildProbe(t)
	for _, p := range []Profile{Agilio(), ConnectX5()} {
		t.Run(p.Name, func(t *testing.T) {
			var counts []int64
			for _, numVFs := range []int{4, min(p.TotalVFs, 64)} {
				_, nodePath := newNS(t, "node")
				n, err := Start(nodePath, t.TempDir(), p, numVFs)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { n.Close() })
				for _, vf := range []VF{n.VFs[0], n.VFs[len(n.VFs)-1]} {
					got, reqs := runLookup(t, n, bin, vf.PCI)
					want := found{PCI: vf.PCI, Index: vf.Index, Uplink: n.Uplink, Rep: vf.Rep, PFNetdev: n.PFNetdev}
					if got != want {
						t.Errorf("lookup of VF %d:\n got %+v\nwant %+v", vf.Index, got, want)
					}
					before := n.SysfsRequests()
					runProbe(t, n, bin, vf.PCI)
					t.Logf("VF %d of %d: vf-offload's lookup made %d sysfs requests, sriovnet's calls in sriovprobe %d",
						vf.Index, len(n.VFs), reqs, n.SysfsRequests()-before)
					counts = append(counts, reqs)
				}
			}
			for _, c := range counts[1:] {
				if c != counts[0] || c > 100 {
					t.Errorf("sysfs requests per lookup %v: want them all equal, at most 100", counts)
					break
				}
			}
		})
	}
}

// TestLookupWithHint: with the representor renamed to a port name, as
// Kube-OVN and ADD leave it, and that name as the hint, the lookup finds
// it, with the VF's index, in as few sysfs requests as before the rename;
// a hint naming another VF's representor is checked and passed over, and
// then only sriovnet's search finds the renamed one, at many times the
// cost.
func TestLookupWithHint(t *testing.T) {
	requireRoot(t)
	bin := buildProbe(t)
	for _, p := range []Profile{Agilio(), ConnectX5()} {
		t.Run(p.Name, func(t *testing.T) {
			_, nodePath := newNS(t, "node")
			n, err := Start(nodePath, t.TempDir(), p, 4)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { n.Close() })
			nodeNS, err := netns.GetFromPath(nodePath)
			if err != nil {
				t.Fatal(err)
			}
			defer nodeNS.Close()
			h, err := netlink.NewHandleAt(nodeNS)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			vf, other := n.VFs[2], n.VFs[1]
			_, plain := runLookup(t, n, bin, vf.PCI)
			const port, otherPort = "0123456789ab_h", "ba9876543210_h"
			for _, r := range []struct{ from, to string }{{vf.Rep, port}, {other.Rep, otherPort}} {
				l, err := h.LinkByName(r.from)
				if err != nil {
					t.Fatal(err)
				}
				if err := h.LinkSetName(l, r.to); err != nil {
					t.Fatal(err)
				}
			}
			want := found{PCI: vf.PCI, Index: vf.Index, Uplink: n.Uplink, Rep: port, PFNetdev: n.PFNetdev}
			got, hinted := runLookup(t, n, bin, vf.PCI, port)
			if got != want {
				t.Errorf("lookup with hint %s:\n got %+v\nwant %+v", port, got, want)
			}
			// Another VF's representor as the hint: not taken; the name scan
			// finds nothing either (the right one is renamed), so sriovnet's
			// search, which reads files of every netdev, does.
			got, searched := runLookup(t, n, bin, vf.PCI, otherPort)
			if got != want {
				t.Errorf("lookup with another VF's representor %s as hint:\n got %+v\nwant %+v", otherPort, got, want)
			}
			if 2*hinted > searched {
				t.Errorf("lookup with the matching hint made %d sysfs requests, with a wrong one %d: want less than half", hinted, searched)
			}
			t.Logf("sysfs requests: %d with the matching hint, %d with a wrong one (sriovnet's search), %d for the VF before the rename", hinted, searched, plain)
		})
	}
}
