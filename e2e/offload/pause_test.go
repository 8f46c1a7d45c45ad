package offload_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/bed"
)

// paused is a plugin call run in the background by the fault binary (see
// useFaultBinary), paused at a fault point (pkg/offload fault_on.go): it
// wrote its pid to <dir>/paused and waits for <dir>/release.
type paused struct {
	t    *testing.T
	dir  string
	pid  int
	done chan error // the call's result
}

// addPaused starts the chain's ADD and returns once vf-offload is paused at
// point, holding the VF's lock.
func (e *env) addPaused(point string, c bed.Conflist, p *bed.Pod, caps map[string]any) *paused {
	e.t.Helper()
	ps := &paused{t: e.t, dir: e.t.TempDir(), done: make(chan error, 1)}
	os.Setenv("VFO_FAULT_PAUSE", point)
	os.Setenv("VFO_FAULT_DIR", ps.dir)
	defer os.Unsetenv("VFO_FAULT_PAUSE")
	defer os.Unsetenv("VFO_FAULT_DIR")
	go func() {
		_, err := e.b.Add(e.ctx, c, p, "eth0", caps)
		ps.done <- err
	}()
	marker := filepath.Join(ps.dir, "paused")
	for end := time.Now().Add(90 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, err := os.ReadFile(marker); err == nil {
			if ps.pid, err = strconv.Atoi(strings.TrimSpace(string(data))); err != nil {
				e.t.Fatalf("pause marker %s: %v", marker, err)
			}
			return ps
		}
		select {
		case err := <-ps.done:
			e.t.Fatalf("ADD ended before pausing at %q: %v", point, err)
		default:
		}
		if time.Now().After(end) {
			e.t.Fatalf("vf-offload did not pause at %q within 90 s", point)
		}
	}
}

// release lets the paused call go on and returns its result, failing the
// test if it does not end within limit.
func (ps *paused) release(limit time.Duration) (took time.Duration, err error) {
	ps.t.Helper()
	start := time.Now()
	if err := os.WriteFile(filepath.Join(ps.dir, "release"), nil, 0o600); err != nil {
		ps.t.Fatal(err)
	}
	err = ps.wait(limit)
	return time.Since(start), err
}

// wait returns the call's result, failing the test after limit.
func (ps *paused) wait(limit time.Duration) error {
	ps.t.Helper()
	select {
	case err := <-ps.done:
		return err
	case <-time.After(limit):
		ps.t.Fatalf("the paused call did not end within %s of its release", limit)
		return nil
	}
}
