package image

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// engine is buildah and podman with a store of the test's own: both read
// CONTAINERS_STORAGE_CONF and CONTAINERS_CONF, which point every image,
// container, lock and state file into a temporary directory. Nothing the test
// builds or runs is seen by the machine's engine or left behind.
type engine struct {
	dir string
	env []string
}

// newEngine skips the test where no engine can run (not root, or a tool
// missing), or fails it there when VFO_E2E_REQUIRED=1.
func newEngine(t *testing.T) *engine {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "not running as root"
	}
	// `make deps` (as root) installs buildah, podman and runc.
	for _, tool := range []string{"buildah", "podman", "runc", "make", "go"} {
		if _, err := exec.LookPath(tool); err != nil && why == "" {
			why = tool + " not found in PATH"
		}
	}
	if why != "" {
		if os.Getenv("VFO_E2E_REQUIRED") == "1" {
			t.Fatalf("image test required (VFO_E2E_REQUIRED=1) but %s", why)
		}
		t.Skipf("image test skipped: %s (run as root after 'make deps', which installs buildah, podman and runc; set VFO_E2E_REQUIRED=1 to fail instead)", why)
	}

	// What buildah and podman create on first use whatever their
	// configuration says: the blob info cache (root's is always under
	// /var/lib/containers), the network run directory and runc's state
	// directory. What the test made is removed again: the caches with
	// their contents, the rest only when empty.
	type made struct {
		path  string
		cache bool
	}
	var absent []made
	for _, m := range []made{{"/var/lib/containers/cache", true}, {"/var/lib/containers", false},
		{"/run/containers/networks", true}, {"/run/containers", false}, {"/run/runc", false}} {
		if _, err := os.Lstat(m.path); errors.Is(err, os.ErrNotExist) {
			absent = append(absent, m)
		}
	}
	t.Cleanup(func() {
		for _, m := range absent {
			if m.cache {
				_ = os.RemoveAll(m.path)
			} else {
				_ = os.Remove(m.path) // only succeeds when empty
			}
		}
	})

	e := &engine{dir: t.TempDir()}
	storage := fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(e.dir, "root"), filepath.Join(e.dir, "runroot"))
	containers := fmt.Sprintf("[network]\nnetwork_config_dir = %q\n[engine]\ntmp_dir = %q\nvolume_path = %q\nevents_logger = \"none\"\n",
		filepath.Join(e.dir, "networks"), filepath.Join(e.dir, "tmp"), filepath.Join(e.dir, "volumes"))
	for name, body := range map[string]string{"storage.conf": storage, "containers.conf": containers} {
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		// The make of `make test` passes its jobserver; the test's make
		// must not inherit it.
		if !slices.Contains([]string{"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "CONTAINERS_STORAGE_CONF", "CONTAINERS_CONF"}, k) {
			e.env = append(e.env, kv)
		}
	}
	e.env = append(e.env, "CONTAINERS_STORAGE_CONF="+filepath.Join(e.dir, "storage.conf"),
		"CONTAINERS_CONF="+filepath.Join(e.dir, "containers.conf"))

	t.Cleanup(func() {
		// Containers first (a failed test may leave one), then images.
		if out, err := e.podman("rm", "--all", "--force", "--time", "0").CombinedOutput(); err != nil {
			t.Errorf("podman rm: %v\n%s", err, out)
		}
		if out, err := e.podman("rmi", "--all", "--force").CombinedOutput(); err != nil {
			t.Errorf("podman rmi: %v\n%s", err, out)
		}
		if out, _ := e.podman("images", "--quiet").Output(); len(bytes.TrimSpace(out)) != 0 {
			t.Errorf("images left after podman rmi: %s", out)
		}
	})
	return e
}

// cmd is a command run with the engine's environment.
func (e *engine) cmd(dir, name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Env = e.env
	return c
}

// podman is podman as the issue runs it on this machine: vfs storage, runc
// (crun fails on this machine's cgroup v1 layout), cgroupfs.
func (e *engine) podman(args ...string) *exec.Cmd {
	return e.cmd("", "podman", append([]string{"--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager", "cgroupfs"}, args...)...)
}

// run runs c and fails the test when it fails.
func run(t *testing.T, c *exec.Cmd) string {
	t.Helper()
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", c, err, out)
	}
	return string(out)
}
