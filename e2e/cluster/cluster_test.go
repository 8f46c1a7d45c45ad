package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testAPIServer is the kube-apiserver the tests run: $VFO_KUBE_APISERVER, or
// the one e2e/components/build.sh puts under $VFO_COMPONENTS_DIR.
func testAPIServer() string {
	if p := os.Getenv("VFO_KUBE_APISERVER"); p != "" {
		return p
	}
	dir := os.Getenv("VFO_COMPONENTS_DIR")
	if dir == "" {
		dir = "/var/cache/vf-offload/components"
	}
	return filepath.Join(dir, "bin", "kube-apiserver")
}

// TestCluster starts one cluster, runs the subtests against it, then checks
// that Close stops both processes.
func TestCluster(t *testing.T) {
	bin := testAPIServer()
	c := New(t, bin)
	etcdBin, _ := exec.LookPath("etcd")
	t.Logf("component: kube-apiserver %s %s", c.Version(), bin)
	t.Logf("component: etcd %s %s", c.EtcdVersion(), etcdBin)
	t.Logf("memory after start: kube-apiserver %d MiB, etcd %d MiB RSS",
		rssMiB(t, c.apiserver), rssMiB(t, c.etcd))

	if !strings.HasPrefix(c.Version(), "v1.") {
		t.Errorf("Version() = %q, want a v1.x gitVersion", c.Version())
	}
	out, err := exec.Command(etcdBin, "--version").Output()
	if err != nil || !strings.Contains(string(out), "etcd Version: "+c.EtcdVersion()+"\n") {
		t.Errorf("EtcdVersion() = %q, etcd --version says %q (%v)", c.EtcdVersion(), out, err)
	}

	t.Run("PodLifecycle", func(t *testing.T) { testPodLifecycle(t, c) })
	t.Run("ApplyCRDThenObjects", func(t *testing.T) { testApplyCRDThenObjects(t, c) })
	t.Run("ApplyWaitsForForeignCRD", func(t *testing.T) { testApplyWaitsForForeignCRD(t, c) })
	t.Run("ApplyCRDServed", func(t *testing.T) { testApplyCRDServed(t, c) })
	t.Run("ApplyReplaces", func(t *testing.T) { testApplyReplaces(t, c) })
	t.Run("ApplyRejectsUnknownKind", func(t *testing.T) { testApplyRejectsUnknownKind(t, c) })
	t.Run("ServeInNetns", func(t *testing.T) { testServeInNetns(t, c) })

	t.Logf("memory after the subtests: kube-apiserver %d MiB, etcd %d MiB RSS",
		rssMiB(t, c.apiserver), rssMiB(t, c.etcd))
	t0 := time.Now()
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("Close took %s", time.Since(t0).Round(time.Millisecond))
	if left := processesUsing(t, c.Dir()); len(left) > 0 {
		t.Errorf("processes still running after Close: %v", left)
	}
	if conn, err := net.DialTimeout("tcp", c.hostAddr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Close", c.hostAddr)
	}
	for _, f := range []string{"etcd.log", "kube-apiserver.log", "pki/ca.crt", "etcd/member"} {
		if _, err := os.Stat(filepath.Join(c.Dir(), f)); err != nil {
			t.Errorf("expected %s in the cluster dir: %v", f, err)
		}
	}
}

// TestStartFailureShowsLog starts a kube-apiserver that fails at once: Start
// must fail with its output and leave no process behind.
func TestStartFailureShowsLog(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "kube-apiserver")
	script := "#!/bin/sh\necho 'E0000 fake kube-apiserver: unknown flag --vfo-test' >&2\nexit 3\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if why := Missing(fake); why != "" {
		if os.Getenv("VFO_E2E_REQUIRED") == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	dir := t.TempDir()
	c, err := Start(context.Background(), dir, fake)
	if err == nil {
		c.Close()
		t.Fatal("Start succeeded with a kube-apiserver that exits at once")
	}
	t.Logf("Start: %v", err)
	for _, want := range []string{"kube-apiserver exited", "exit status 3", "unknown flag --vfo-test"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Start error lacks %q", want)
		}
	}
	if left := processesUsing(t, dir); len(left) > 0 {
		t.Errorf("processes left after a failed Start: %v", left)
	}
}

// processesUsing lists the processes whose command line mentions dir.
func processesUsing(t *testing.T, dir string) []string {
	t.Helper()
	pids, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, p := range pids {
		b, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(b), dir) {
			continue
		}
		found = append(found, fmt.Sprintf("%s: %s", filepath.Base(filepath.Dir(p)),
			strings.ReplaceAll(string(b), "\x00", " ")))
	}
	return found
}

// rssMiB reads a running process' resident memory from /proc.
func rssMiB(t *testing.T, p *proc) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Errorf("read %s status: %v", p.name, err)
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb int
		if _, err := fmt.Sscanf(line, "VmRSS: %d kB", &kb); err == nil {
			return kb / 1024
		}
	}
	return 0
}

// errorsIsNotFound fails unless err is ErrNotFound.
func errorsIsNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("%s: got %v, want ErrNotFound", what, err)
	}
}
