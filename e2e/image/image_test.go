// Package image builds the installer image the way `make image` does and
// runs it the way conf/daemonset.yaml runs it, with buildah and podman on
// storage private to the test.
package image

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func digest(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// only checks that dir holds exactly the installed binary, with digest sum
// and mode 0755.
func only(t *testing.T, dir, sum string) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"vf-offload"}) {
		t.Errorf("%s holds %v, want only vf-offload", dir, names)
	}
	p := filepath.Join(dir, "vf-offload")
	if got := digest(t, p); got != sum {
		t.Errorf("%s has sha256 %s, want %s", p, got, sum)
	}
	if st, err := os.Stat(p); err != nil || st.Mode() != 0o755 {
		t.Errorf("%s: mode %v (%v), want -rwxr-xr-x", p, st.Mode(), err)
	}
}

// cniVersion runs bin as a runtime would with CNI_COMMAND=VERSION.
func cniVersion(t *testing.T, bin string) {
	t.Helper()
	c := exec.Command(bin)
	c.Env = []string{"CNI_COMMAND=VERSION"}
	c.Stdin = strings.NewReader("")
	out, err := c.Output()
	if err != nil || !strings.Contains(string(out), `"supportedVersions"`) {
		t.Errorf("CNI_COMMAND=VERSION %s: %v\n%s", bin, err, out)
	}
}

// TestImage builds two images from two different binaries and runs the
// DaemonSet's installer container from them against a host directory.
func TestImage(t *testing.T) {
	e := newEngine(t)
	in := daemonSetInstaller(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	binA := filepath.Join(work, "a", "vf-offload")
	binB := filepath.Join(work, "b", "vf-offload")
	for _, d := range []string{filepath.Dir(binA), filepath.Dir(binB)} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const tagA, tagB = "localhost/vf-offload:e2e-a", "localhost/vf-offload:e2e-b"

	// Image A is `make image` itself, its binary and tag pointed into the test.
	start := time.Now()
	run(t, e.cmd(root, "make", "--no-print-directory", "image", "PLUGIN="+binA, "IMAGE="+tagA))
	t.Logf("make image (go build + buildah bud): %s", time.Since(start).Round(time.Millisecond))
	// Binary B is the same build with another build ID: other bytes, same
	// program. Image B comes from the script `make image` runs.
	b := e.cmd(root, "make", "--no-print-directory", "build", "PLUGIN="+binB)
	b.Env = append(b.Env, "GOFLAGS=-ldflags=-buildid=vf-offload-e2e-image-b")
	run(t, b)
	start = time.Now()
	run(t, e.cmd(root, "conf/image.sh", binB, tagB))
	t.Logf("conf/image.sh (buildah bud only): %s", time.Since(start).Round(time.Millisecond))
	sumA, sumB := digest(t, binA), digest(t, binB)
	if sumA == sumB {
		t.Fatalf("binaries A and B are the same (%s): the upgrade would prove nothing", sumA)
	}
	t.Logf("images:\n%s", run(t, e.podman("images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}")))

	host := filepath.Join(work, "host-opt-cni-bin")
	if err := os.Mkdir(host, 0o755); err != nil {
		t.Fatal(err)
	}
	mount := host + ":" + in.mountPath
	installed := filepath.Join(host, "vf-offload")
	inContainer := path.Join(in.mountPath, "vf-offload")

	t.Run("InstallsByteIdentical", func(t *testing.T) {
		start := time.Now()
		r := e.runInstaller(t, in, tagA, runOpts{volumes: []string{mount}})
		t.Logf("run until sleeping, then stopped: %s", time.Since(start).Round(time.Millisecond))
		if r.code != 0 || !r.slept || r.stderr != "" {
			t.Fatalf("installer: exit %d, slept %v, stderr %q; want it to install, sleep and exit 0 on SIGTERM", r.code, r.slept, r.stderr)
		}
		if want := "installed " + inContainer + " ("; !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, "sha256 "+sumA+")\n") {
			t.Errorf("installer said %q, want a line starting %q with sha256 %s", r.stdout, want, sumA)
		}
		only(t, host, sumA)
		cniVersion(t, installed)
	})

	t.Run("UpgradeWhileOldRuns", func(t *testing.T) {
		// The installed A keeps running from the host directory: as an
		// installer of its own, sleeping.
		old := exec.Command(installed, "install", "--target", t.TempDir(), "--sleep")
		stdout, err := old.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := old.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = old.Process.Kill(); _ = old.Wait() })
		sc := bufio.NewScanner(stdout)
		for sc.Scan() && !strings.Contains(sc.Text(), "sleeping until SIGTERM") {
		}
		r := e.runInstaller(t, in, tagB, runOpts{volumes: []string{mount}})
		if r.code != 0 || !r.slept {
			t.Fatalf("installer B over a running A: exit %d, slept %v, stderr %q", r.code, r.slept, r.stderr)
		}
		if !strings.Contains(r.stdout, "sha256 "+sumB+"), replacing a different one (sha256 "+sumA+")") {
			t.Errorf("installer B said %q, want it to name B replacing A", r.stdout)
		}
		only(t, host, sumB)
		cniVersion(t, installed)
		if s := digest(t, "/proc/"+strconv.Itoa(old.Process.Pid)+"/exe"); s != sumA {
			t.Errorf("the running old binary now has sha256 %s, want A's %s", s, sumA)
		}
		if err := old.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("the old binary is gone: %v", err)
		}
		if err := old.Wait(); err != nil {
			t.Errorf("the old binary after SIGTERM: %v, want exit 0", err)
		}
	})

	// Failures: a clear error naming the target, a non-zero exit, and the
	// host directory as it was (B installed, nothing else).
	for _, tc := range []struct {
		name string
		opts runOpts
		want []string
	}{
		{"ReadOnlyTarget", runOpts{volumes: []string{mount + ":ro"}},
			[]string{"cannot write into target directory " + in.mountPath + ": ", "read-only file system"}},
		{"MissingTarget", runOpts{},
			[]string{"target directory " + in.mountPath + " does not exist"}},
		{"TargetIsFile", runOpts{volumes: []string{aFile(t, work) + ":" + in.mountPath}},
			[]string{"target " + in.mountPath + " is not a directory"}},
		// The image's own user is not root: without the DaemonSet's
		// runAsUser 0 it cannot write into a root-owned 0755 directory.
		{"ImageUserCannotWrite", runOpts{volumes: []string{mount}, imageUser: true},
			[]string{"cannot write into target directory " + in.mountPath + ": ", "permission denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.runInstaller(t, in, tagA, tc.opts)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			ok := r.code != 0 && !r.slept && r.stdout == "" && len(lines) == 1 && strings.HasPrefix(lines[0], "vf-offload install: ")
			for _, w := range tc.want {
				ok = ok && strings.Contains(lines[0], w)
			}
			if !ok {
				t.Errorf("installer: exit %d, slept %v, stdout %q, stderr %q; want a non-zero exit and one error line containing %q",
					r.code, r.slept, r.stdout, r.stderr, tc.want)
			}
			only(t, host, sumB)
		})
	}
}

// aFile makes a regular file to mount where the directory should be.
func aFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "not-a-directory")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
