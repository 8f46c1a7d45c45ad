package offload_test

import (
	"os"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/nic"
)

func TestZZProf(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 64)
	for i := 0; i < 3; i++ {
		p := e.pod("p" + itoa(i))
		c, caps := e.full(false, e.b.NIC.VFs[0].PCI)
		os.Truncate(e.b.LogFile, 0)
		e.add(c, p, caps)
		e.b.Check(e.ctx, c, p, "eth0", caps)
		e.del(c, p, caps)
		if i == 2 {
			data, _ := os.ReadFile(e.b.LogFile)
			t.Logf("%s", data)
		}
	}
}
