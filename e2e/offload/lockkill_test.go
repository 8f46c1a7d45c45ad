package offload_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/nic"
)

// TestLockHolderPausedThenKilled pauses an ADD half way (VF in the pod),
// holding the VF's lock. While it lives, a DEL on the same VF waits a
// bounded time and fails with CNI error 11 naming the VF. Once the holder is
// SIGKILLed the kernel drops its flock: the runtime's DEL goes through at
// once and leaves the node as before ADD; a fresh ADD then works.
// (TestLockTimeoutIsTryAgain holds the lock from the test process itself.)
func TestLockHolderPausedThenKilled(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	e.useFaultBinary()
	vf := e.b.NIC.VFs[0]
	p := e.pod("a")
	before := e.snapshot()
	c, caps := e.full(false, vf.PCI)
	ps := e.addPaused("ADD: move VF into the pod", c, p, caps)

	vfo := c.Clone()
	vfo.Plugins = vfo.Plugins[1:2] // vf-offload alone: the stand-in's DEL would hide the code
	start := time.Now()
	err := e.b.Del(e.ctx, vfo, p, "eth0", caps)
	took := time.Since(start)
	t.Logf("DEL while the holder lives: %s: %v", took.Round(time.Millisecond), err)
	if cniCode(err) != 11 || !strings.Contains(err.Error(), vf.PCI) {
		t.Errorf("want CNI error 11 naming %s, got %v", vf.PCI, err)
	}
	// The plugin waits 10 s for the lock: not much less, not forever.
	if took < 5*time.Second || took > time.Minute {
		t.Errorf("DEL gave up after %s; want about the 10 s lock timeout", took)
	}
	select {
	case err := <-ps.done:
		t.Fatalf("the paused ADD ended while paused: %v", err)
	default:
	}

	if err := syscall.Kill(ps.pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the paused plugin (pid %d): %v", ps.pid, err)
	}
	if err := ps.wait(time.Minute); err == nil {
		t.Fatal("the killed ADD reported success")
	}
	start = time.Now()
	e.del(c, p, caps)
	took = time.Since(start)
	// Had the lock outlived its holder, DEL would have failed with error 11.
	t.Logf("DEL after the holder was killed: %s", took.Round(time.Millisecond))
	if d := e.settledDiff(before, nil); d != "" {
		t.Errorf("after DEL the node differs from before ADD:\n%s", d)
	}
	e.add(c, p, caps)
	e.assertWired(p, vf)
	e.del(c, p, caps)
}
