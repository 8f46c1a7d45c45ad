//go:build vfo_faults

package offload

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Test-only fault points; the shipped binary has none and reads no such
// variable. VFO_FAULT names the point where the process kills itself.
// VFO_FAULT_FAIL names the point after which it fails as a step would.
// VFO_FAULT_PAUSE names the point where it pauses: it writes its pid to
// $VFO_FAULT_DIR/paused and waits for $VFO_FAULT_DIR/release to appear, so
// a test can change the node (stop ovsdb-server) or kill it (SIGKILL) there.
const (
	faultEnv      = "VFO_FAULT"
	faultPauseEnv = "VFO_FAULT_PAUSE"
	faultFailEnv  = "VFO_FAULT_FAIL"
	faultDirEnv   = "VFO_FAULT_DIR"
	faultMaxPause = 3 * time.Minute // a test that forgot to release does not leave a hung plugin
)

// faultPoint pauses, kills the process or fails the call at the point
// named by the test's environment (VFO_FAULT_FAIL: the step after which
// the verb returns an error, as if the next step had failed).
func faultPoint(name string) error {
	if dir := os.Getenv(faultDirEnv); dir != "" && os.Getenv(faultPauseEnv) == name {
		pauseAt(dir)
	}
	if os.Getenv(faultEnv) == name {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	if os.Getenv(faultFailEnv) == name {
		return errors.New("failure injected after " + name)
	}
	return nil
}

func pauseAt(dir string) {
	tmp := filepath.Join(dir, "paused.tmp")
	if os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())), 0o600) != nil || os.Rename(tmp, filepath.Join(dir, "paused")) != nil {
		return
	}
	for end := time.Now().Add(faultMaxPause); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "release")); err == nil {
			return
		}
	}
}
