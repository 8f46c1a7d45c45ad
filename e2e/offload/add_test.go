package offload_test

import (
	"testing"

	"github.com/vf-offload/vf-offload/e2e/nic"
)

func TestAddDelVethState(t *testing.T) {
	for _, prof := range []nic.Profile{nic.Agilio(), nic.ConnectX5()} {
		t.Run(prof.Name, func(t *testing.T) {
			e := newEnv(t, prof, 2)
			vf := e.b.NIC.VFs[0]
			p := e.pod("a")
			_ = e.snapshot()
			c, caps := e.full(false, vf.PCI)
			res := e.add(c, p, caps)
			t.Logf("result: %+v", res)
		})
	}
}
