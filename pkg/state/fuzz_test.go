package state

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzDecode(f *testing.F) {
	good, _ := json.Marshal(func() *Attachment { a := sample(); a.Version = Version; return a }())
	f.Add(good)
	f.Add([]byte(`{"version":1,"pci":"0000:03:00.2","containerID":"a","ifName":"eth0","phase":"adding","x":1}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := decode(data)
		if err != nil {
			return
		}
		if err := a.validate(); err != nil {
			t.Fatalf("decoded attachment fails validation: %v", err)
		}
		again, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decode(again); err != nil {
			t.Fatalf("re-encoded attachment refused: %v", err)
		}
	})
}

// FuzzPath: whatever device ID reaches the store, a path it builds is a
// plain file directly inside the state directory, or there is no path.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"0000:03:00.2", "03:00.2", "../../etc/passwd", "0000:03:00.2/../../x", "0000:03:00.2\x00", ".."} {
		f.Add(s, ".json")
	}
	f.Add("0000:03:00.2", ".lock")
	s := NewStore("/run/vf-offload/state")
	f.Fuzz(func(t *testing.T, pci, suffix string) {
		if suffix != ".json" && suffix != ".lock" {
			suffix = ".json" // the store's only suffixes
		}
		p, err := s.path(pci, suffix)
		if err != nil {
			return
		}
		base := filepath.Base(p)
		if filepath.Dir(p) != s.dir || p != filepath.Join(s.dir, base) || strings.ContainsAny(base, "/\x00") ||
			strings.HasPrefix(base, ".") || !strings.HasSuffix(base, suffix) {
			t.Fatalf("device ID %q gave path %q outside %s", pci, p, s.dir)
		}
	})
}
