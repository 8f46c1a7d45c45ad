package roottest

import (
	"fmt"
	"runtime"
	"testing"
)

// outcome records how Unable ended a test: the real testing.T stops the
// test's goroutine on Skipf and Fatalf, and so does outcome.
type outcome struct {
	testing.TB
	skipped, failed string
}

func (o *outcome) Helper() {}
func (o *outcome) Skipf(f string, a ...any) {
	o.skipped = fmt.Sprintf(f, a...)
	runtime.Goexit()
}
func (o *outcome) Fatalf(f string, a ...any) {
	o.failed = fmt.Sprintf(f, a...)
	runtime.Goexit()
}

func TestUnable(t *testing.T) {
	for _, tc := range []struct{ required, skipped, failed string }{
		{"", "skipped: no tc here (set VFO_E2E_REQUIRED=1 to make this a failure)", ""},
		{"0", "skipped: no tc here (set VFO_E2E_REQUIRED=1 to make this a failure)", ""},
		{"1", "", "VFO_E2E_REQUIRED=1 but no tc here"},
	} {
		t.Setenv(RequiredEnv, tc.required)
		o := &outcome{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Unable(o, "no tc here")
		}()
		<-done
		if o.skipped != tc.skipped || o.failed != tc.failed {
			t.Errorf("%s=%q: skipped %q, failed %q; want %q, %q", RequiredEnv, tc.required, o.skipped, o.failed, tc.skipped, tc.failed)
		}
	}
}

func TestTool(t *testing.T) {
	t.Setenv(RequiredEnv, "1")
	o := &outcome{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Tool(o, "vfo-no-such-tool", "nosuch")
	}()
	<-done
	if want := "VFO_E2E_REQUIRED=1 but vfo-no-such-tool not found in PATH (Debian package nosuch)"; o.failed != want {
		t.Errorf("failed %q, want %q", o.failed, want)
	}
}
