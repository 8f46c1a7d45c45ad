package bed

import (
	"os"
	"os/exec"
	"testing"

	"github.com/vf-offload/vf-offload/pkg/roottest"
)

// New starts a bed for a test and closes it in t.Cleanup. It skips the test
// when not root or when a system tool is missing, unless VFO_E2E_REQUIRED=1,
// in which case it fails.
func New(t testing.TB, opts Options) *Bed {
	t.Helper()
	if why := Missing(); why != "" {
		roottest.Unable(t, "the e2e bed cannot start: "+why+" (run as root after 'make deps')")
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	b, err := Start(opts)
	if err != nil {
		t.Fatalf("start bed: %v", err)
	}
	b.tb = t
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close bed %s: %v", b.ID, err)
		}
	})
	return b
}

// Missing says why a bed cannot start here ("" when it can).
func Missing() string {
	if os.Geteuid() != 0 {
		return "not running as root"
	}
	for _, bin := range []string{"ip", "nsenter", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl", "ovsdb-tool", "go"} {
		if _, err := exec.LookPath(bin); err != nil {
			return bin + " not found in PATH"
		}
	}
	if _, err := os.Stat(ovsSchema); err != nil {
		return ovsSchema + " missing"
	}
	return ""
}

// NewPod is AddPod that fails the test of a bed made by New (panics otherwise).
func (b *Bed) NewPod(name, namespace string) *Pod {
	p, err := b.AddPod(name, namespace)
	if err != nil {
		if b.tb != nil {
			b.tb.Helper()
			b.tb.Fatalf("new pod: %v", err)
		}
		panic(err)
	}
	return p
}
