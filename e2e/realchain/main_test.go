package realchain

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/cluster"
	"github.com/vf-offload/vf-offload/e2e/components"
	"github.com/vf-offload/vf-offload/e2e/realkubeovn"
)

// suite is what TestMain sets up once for every test of the package: one
// API server (the cluster), shared by the tests' nodes (one bed each).
type suite struct {
	skip  string // why the tests cannot run here
	fail  error  // why the shared setup failed
	comps *components.Set
	c     *cluster.Cluster
	repo  string
}

var env suite

func TestMain(m *testing.M) {
	code := m.Run()
	if env.c != nil {
		if err := env.c.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "realchain: close cluster: %v\n", err)
		}
		os.RemoveAll(env.c.Dir())
	}
	os.Exit(code)
}

// need skips (or, with VFO_E2E_REQUIRED=1, fails) a test that cannot run
// here, and starts the shared cluster on first use.
func need(t testing.TB) {
	t.Helper()
	if env.comps == nil && env.skip == "" && env.fail == nil {
		setup()
	}
	if env.skip != "" {
		if os.Getenv("VFO_E2E_REQUIRED") == "1" {
			t.Fatalf("real chain required (VFO_E2E_REQUIRED=1) but %s", env.skip)
		}
		t.Skipf("real chain skipped: %s (VFO_E2E_REQUIRED=1 fails instead)", env.skip)
	}
	if env.fail != nil {
		t.Fatalf("real chain setup: %v", env.fail)
	}
}

func setup() {
	if os.Geteuid() != 0 {
		env.skip = "needs root (netns, OVS, FUSE)"
		return
	}
	if why := bed.Missing(); why != "" {
		env.skip = why
		return
	}
	comps, err := components.Load()
	if err != nil {
		env.fail = err
		return
	}
	if why := realkubeovn.Unavailable(comps, "multus"); why != "" {
		env.skip = why
		return
	}
	comps.Announce(os.Stdout, "kube-apiserver", "etcd", "multus", "kube-ovn", "kube-ovn-daemon", "ovs-vswitchd")
	env.comps = comps
	bins, err := bed.Build()
	if err != nil {
		env.fail = err
		return
	}
	env.repo = bins.Repo
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now()
	c, err := realkubeovn.StartCluster(ctx, comps, env.repo)
	if err != nil {
		env.fail = err
		return
	}
	env.c = c
	fmt.Printf("realchain: kube-apiserver %s with etcd %s ready and populated in %s\n", c.Version(), c.EtcdVersion(), time.Since(t0).Round(time.Millisecond))
}
