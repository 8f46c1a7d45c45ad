//go:build vfo_faults

package offload

import (
	"os"
	"syscall"
)

// faultPoint kills the process at the point named by VFO_FAULT. Only the
// test binary built with the vfo_faults tag has this; the shipped binary
// reads no such variable.
func faultPoint(name string) {
	if os.Getenv("VFO_FAULT") == name {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}
