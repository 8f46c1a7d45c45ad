package nic

import (
	"bytes"
	"encoding/json"
	"testing"
)

type found struct {
	PCI, Uplink, Rep, PFNetdev, Error string
	Index                             int
}

// runLookup runs vf-offload's own lookup (sriovprobe -vfo) in the bed and
// returns what it found and how many sysfs requests it made.
func runLookup(t *testing.T, n *NIC, bin, pci string) (found, int64) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := n.Command(bin, "-vfo", pci)
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
