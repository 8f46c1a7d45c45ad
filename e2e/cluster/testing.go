package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// New starts a cluster for a test in a fresh t.TempDir() and closes it in
// t.Cleanup. It skips the test when the kube-apiserver binary or etcd is
// missing, unless VFO_E2E_REQUIRED=1, in which case it fails.
func New(t testing.TB, apiserverBin string) *Cluster {
	t.Helper()
	if why := Missing(apiserverBin); why != "" {
		if os.Getenv("VFO_E2E_REQUIRED") == "1" {
			t.Fatalf("cluster required (VFO_E2E_REQUIRED=1) but %s", why)
		}
		t.Skipf("cluster skipped: %s (set VFO_E2E_REQUIRED=1 to fail instead)", why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	t0 := time.Now()
	c, err := Start(ctx, t.TempDir(), apiserverBin)
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Logf("cluster: kube-apiserver %s and etcd %s ready at %s in %s",
		c.Version(), c.EtcdVersion(), c.URL(), time.Since(t0).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close cluster: %v", err)
		}
	})
	return c
}

// Missing says why a cluster cannot start here ("" when it can).
func Missing(apiserverBin string) string {
	if _, err := os.Stat(apiserverBin); err != nil {
		return fmt.Sprintf("kube-apiserver binary %s missing (build it with e2e/components/build.sh)", apiserverBin)
	}
	if _, err := exec.LookPath("etcd"); err != nil {
		return "etcd not found on PATH (apt-get install etcd-server)"
	}
	return ""
}
