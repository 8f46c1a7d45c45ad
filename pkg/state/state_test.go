package state

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sample() *Attachment {
	a := &Attachment{
		ContainerID: "0123456789abcdef", IfName: "eth0", Netns: "/var/run/netns/cni-1",
		PCI: "0000:03:00.2", PFPCI: "0000:03:00.0", VFIndex: 2, KubeOVNState: "veth",
		Bridge: "br-int", Port: "0123456789ab_h", PortExternalIDs: map[string]string{"iface-id": "p.ns"},
		PF: "ens1f0", Phase: PhaseAdded, DeviceInfoFile: "/var/run/k8s.cni.cncf.io/devinfo/x.json",
	}
	a.VF = VFInfo{Name: "ens1f0v2", MAC: "02:00:00:00:00:01", AdminMAC: "00:00:00:00:00:00", MTU: 1500, Up: true, Alias: "x", Index: 7}
	a.Rep = RepInfo{Name: "eth2", MTU: 1500}
	return a
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub", "state")
	s := NewStore(dir)
	if a, err := s.Load("0000:03:00.2"); a != nil || err != nil {
		t.Fatalf("Load of absent = %v, %v", a, err)
	}
	in := sample()
	in.PCI = "03:00.2" // short form is normalised in the file, not in the caller's struct
	if err := s.Save(in); err != nil {
		t.Fatal(err)
	}
	if in.PCI != "03:00.2" || in.Version != 0 {
		t.Error("Save modified its argument")
	}
	got, err := s.Load("0000:03:00.2")
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	want.Version = Version
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	for p, mode := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, "0000:03:00.2.json"): 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != mode {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode(), err, mode)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].PCI != "0000:03:00.2" {
		t.Errorf("List = %v, %v", list, err)
	}
	for i := 0; i < 2; i++ { // idempotent
		if err := s.Remove("0000:03:00.2"); err != nil {
			t.Fatal(err)
		}
	}
	if a, err := s.Load("0000:03:00.2"); a != nil || err != nil {
		t.Errorf("after Remove: %v, %v", a, err)
	}
}

func TestRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	for _, pci := range []string{"../x", "0000:03:00.2/../../etc", "", "0000:03:00.8"} {
		a := sample()
		a.PCI = pci
		if err := s.Save(a); err == nil {
			t.Errorf("Save with PCI %q accepted", pci)
		}
		if _, err := s.Load(pci); err == nil {
			t.Errorf("Load(%q) accepted", pci)
		}
		if err := s.Remove(pci); err == nil {
			t.Errorf("Remove(%q) accepted", pci)
		}
		if _, err := s.Lock(pci, 0); err == nil {
			t.Errorf("Lock(%q) accepted", pci)
		}
	}
	a := sample()
	a.IfName = "a/b"
	if err := s.Save(a); err == nil || !strings.Contains(err.Error(), "a/b") {
		t.Errorf("bad ifname: %v", err)
	}
	// A state file whose content names another VF is refused.
	data, _ := os.ReadFile(writeSample(t, s))
	os.WriteFile(filepath.Join(dir, "0000:03:00.3.json"), data, 0o600)
	if _, err := s.Load("0000:03:00.3"); err == nil || !strings.Contains(err.Error(), "0000:03:00.2") {
		t.Errorf("mismatched PCI: %v", err)
	}
	if list, err := s.List(); len(list) != 1 || err == nil {
		t.Errorf("List with one bad file = %d, %v", len(list), err)
	}
}

func writeSample(t *testing.T, s *Store) string {
	t.Helper()
	if err := s.Save(sample()); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(s.dir, "0000:03:00.2.json")
}

func TestStateDirIsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	s := NewStore(f)
	if err := s.Save(sample()); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Save: %v", err)
	}
	if _, err := s.Lock("0000:03:00.2", 0); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Lock: %v", err)
	}
}
