package state

import (
	"encoding/json"
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
