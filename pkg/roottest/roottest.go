// Package roottest decides what a test does when this machine cannot run it
// (not root, a system tool missing): it skips, with the reason, or, when
// VFO_E2E_REQUIRED=1 says that every such test must run (.ci/run sets it),
// it fails. The root-only tests of pkg/ and the e2e tests share it.
package roottest

import (
	"os"
	"os/exec"
	"testing"
)

// RequiredEnv is the variable that, set to "1", turns these skips into failures.
const RequiredEnv = "VFO_E2E_REQUIRED"

// Required reports whether RequiredEnv is set to "1".
func Required() bool { return os.Getenv(RequiredEnv) == "1" }

// Unable skips t because of why, or fails it when Required.
func Unable(t testing.TB, why string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s=1 but %s", RequiredEnv, why)
	}
	t.Skipf("skipped: %s (set %s=1 to make this a failure)", why, RequiredEnv)
}

// Root is Unable unless the test runs as root; what says what needs root.
func Root(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unable(t, "not running as root: "+what+" needs root")
	}
}

// Tool is Unable unless bin is in PATH; pkg is the Debian package with it.
func Tool(t testing.TB, bin, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(bin); err != nil {
		Unable(t, bin+" not found in PATH (Debian package "+pkg+")")
	}
}
