package install

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The CLI tests run Main in a child: this test binary started again with
// mainEnv set, so that os.Executable, the exit code and signals are real.
const mainEnv = "VFO_INSTALL_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func mainCmd(exe string, args ...string) *exec.Cmd {
	c := exec.Command(exe, args...)
	c.Env = append(os.Environ(), mainEnv+"=1")
	return c
}

// runMain runs `vf-offload install args...` and returns its stdout, stderr
// and exit code.
func runMain(t *testing.T, c *exec.Cmd) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", c, err)
	}
	return out.String(), errb.String(), c.ProcessState.ExitCode()
}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestMainHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		out, errOut, code := runMain(t, mainCmd(self(t), arg))
		if code != 0 || !strings.HasPrefix(out, "usage: vf-offload install") || errOut != "" {
			t.Errorf("install %s: exit %d, stdout %q, stderr %q; want usage on stdout, exit 0", arg, code, out, errOut)
		}
	}
}

func TestMainBadUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--bogus"}, {"--target"}, {"--target", dir, "extra"}, {"--sleep=maybe"}} {
		out, errOut, code := runMain(t, mainCmd(self(t), args...))
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 2 || !strings.HasPrefix(errOut, "vf-offload install: ") || !strings.HasSuffix(errOut, "Run 'vf-offload install --help' for usage.\n") {
			t.Errorf("install %q: exit %d, stdout %q, stderr %q; want exit 2, the error and the hint (pkg/cli.Fail) on stderr", args, code, out, errOut)
		}
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("bad usage wrote %v into %s", got, dir)
	}
}

func TestMainInstalls(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runMain(t, mainCmd(self(t), "--target", dir))
	dst := filepath.Join(dir, Name)
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "installed "+dst+" (") || strings.Count(out, "\n") != 1 {
		t.Fatalf("install: exit %d, stdout %q, stderr %q; want exit 0 and one line naming %s", code, out, errOut, dst)
	}
	if digest(t, dst) != digest(t, self(t)) || !strings.Contains(out, digest(t, dst)) {
		t.Errorf("%s differs from the running binary %s, or the report %q does not give its digest", dst, self(t), out)
	}
}

func TestMainFailure(t *testing.T) {
	target := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runMain(t, mainCmd(self(t), "--target", target))
	if code != 1 || out != "" || !strings.Contains(errOut, target+" is not a directory") {
		t.Errorf("install into a file: exit %d, stdout %q, stderr %q; want exit 1 and an error naming %s", code, out, errOut, target)
	}
}

// TestMainSleep runs the DaemonSet's command: it installs, stays up, and
// exits 0 on SIGTERM.
func TestMainSleep(t *testing.T) {
	dir := t.TempDir()
	c := mainCmd(self(t), "--target", dir, "--sleep")
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	killer := time.AfterFunc(time.Minute, func() { _ = c.Process.Kill() })
	defer killer.Stop()
	sc := bufio.NewScanner(stdout)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "sleeping until SIGTERM") {
			break
		}
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "installed "+filepath.Join(dir, Name)) {
		t.Errorf("--sleep printed %q, want the install line and the sleeping line", lines)
	}
	if digest(t, filepath.Join(dir, Name)) != digest(t, self(t)) {
		t.Errorf("%s is not the running binary", filepath.Join(dir, Name))
	}
	time.Sleep(100 * time.Millisecond)
	if err := c.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("--sleep did not stay up: %v (stderr %q)", err, errb.String())
	}
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil || errb.Len() != 0 {
		t.Errorf("after SIGTERM: %v, stderr %q; want exit 0 and nothing on stderr", err, errb.String())
	}
}

// TestMainNonRootCannotWrite runs the installer as an unprivileged user
// against a root-owned mode 0755 directory, as the image's default user
// would meet the host's /opt/cni/bin: a clear error, exit 1, the old binary
// kept. This is why the DaemonSet runs the installer as uid 0.
func TestMainNonRootCannotWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the installer as another user")
	}
	// A copy of this test binary the other user can execute.
	exeDir, err := os.MkdirTemp("", "vfo-install-exe-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(exeDir) })
	dir, err := os.MkdirTemp("", "vfo-install-target-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	for _, d := range []string{exeDir, dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(exeDir, "vf-offload.test")
	copyFile(t, self(t), exe, 0o755)
	old := filepath.Join(dir, Name)
	if err := os.WriteFile(old, []byte("old"), 0o755); err != nil {
		t.Fatal(err)
	}

	c := mainCmd(exe, "--target", dir)
	c.Dir = exeDir
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
	out, errOut, code := runMain(t, c)
	if code != 1 || out != "" || !strings.Contains(errOut, dir) || !strings.Contains(errOut, "permission denied") {
		t.Errorf("install as uid 65532: exit %d, stdout %q, stderr %q; want exit 1 and a permission error naming %s", code, out, errOut, dir)
	}
	if b, _ := os.ReadFile(old); string(b) != "old" {
		t.Errorf("%s changed to %q", old, b)
	}
	if got := names(t, dir); !slices.Equal(got, []string{Name}) {
		t.Errorf("%s holds %v", dir, got)
	}
}
