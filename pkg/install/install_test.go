package install

import (
	"golang.org/x/sys/unix"

	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// names lists dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range es {
		n = append(n, e.Name())
	}
	slices.Sort(n)
	return n
}

func digest(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// randomFile writes size random bytes to a new file of mode 0600.
func randomFile(t *testing.T, size int) string {
	t.Helper()
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// copyFile copies src to dst with mode perm.
func copyFile(t *testing.T, src, dst string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, perm); err != nil {
		t.Fatal(err)
	}
}

func TestBinaryFresh(t *testing.T) {
	src := randomFile(t, 3<<20+17)
	dir := t.TempDir()
	r, err := Binary(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, Name)
	if got := names(t, dir); !slices.Equal(got, []string{Name}) {
		t.Errorf("%s holds %v, want only %s", dir, got, Name)
	}
	want, _ := os.ReadFile(src)
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes differ from the %d of %s", dst, len(got), len(want), src)
	}
	st, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode() != 0o755 {
		t.Errorf("%s has mode %s, want -rwxr-xr-x (the source is 0600)", dst, st.Mode())
	}
	if r.Path != dst || r.Size != int64(len(want)) || r.SHA256 != digest(t, src) || r.Previous != "" {
		t.Errorf("result %+v, want path %s, %d bytes, sha256 %s, no previous", r, dst, len(want), digest(t, src))
	}
	if s := r.String(); !strings.Contains(s, dst) || strings.Contains(s, "replacing") {
		t.Errorf("report %q: want the path and no replacement", s)
	}

	// Again: the same file is replaced by an identical copy.
	r2, err := Binary(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Previous != r.SHA256 || !strings.Contains(r2.String(), "identical") {
		t.Errorf("second install: %q, want it to say it replaced an identical copy", r2)
	}
	if got := names(t, dir); !slices.Equal(got, []string{Name}) {
		t.Errorf("after the second install %s holds %v", dir, got)
	}
}

// TestBinaryReplacesRunning installs over a vf-offload that is executing
// (a copy of sleep): the install succeeds, the new file is in place and
// runs, and the running process goes on with its old image.
func TestBinaryReplacesRunning(t *testing.T) {
	sleepBin, err1 := exec.LookPath("sleep")
	trueBin, err2 := exec.LookPath("true")
	if err := errors.Join(err1, err2); err != nil {
		t.Skipf("need sleep and true: %v", err)
	}
	dir := t.TempDir()
	dst := filepath.Join(dir, Name)
	copyFile(t, sleepBin, dst, 0o755)
	oldSum := digest(t, dst)
	old := exec.Command(dst, "600")
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = old.Process.Kill(); _ = old.Wait() })

	// Control: writing over the running file is what fails.
	if f, err := os.OpenFile(dst, os.O_WRONLY, 0); err == nil {
		_ = f.Close()
		t.Logf("control: this kernel lets %s be opened for writing while it runs", dst)
	} else if !errors.Is(err, syscall.ETXTBSY) {
		t.Fatalf("control: open %s for writing: %v, want ETXTBSY", dst, err)
	}

	r, err := Binary(trueBin, dir)
	if err != nil {
		t.Fatalf("install over a running %s: %v", dst, err)
	}
	if r.Previous != oldSum || r.SHA256 != digest(t, trueBin) || digest(t, dst) != r.SHA256 {
		t.Errorf("result %+v: want previous %s and the new file's digest %s", r, oldSum, digest(t, trueBin))
	}
	if !strings.Contains(r.String(), "replacing a different one (sha256 "+oldSum+")") {
		t.Errorf("report %q does not name the replaced binary", r)
	}
	if got := names(t, dir); !slices.Equal(got, []string{Name}) {
		t.Errorf("%s holds %v, want only %s", dir, got, Name)
	}
	if err := old.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the old vf-offload (pid %d) is gone: %v", old.Process.Pid, err)
	}
	if s := digest(t, fmt.Sprintf("/proc/%d/exe", old.Process.Pid)); s != oldSum {
		t.Errorf("the running process's image has sha256 %s, want the old one %s", s, oldSum)
	}
	if out, err := exec.Command(dst).CombinedOutput(); err != nil {
		t.Errorf("the new %s does not run: %v %s", dst, err, out)
	}
}

func TestBinaryTargetIsFile(t *testing.T) {
	src := randomFile(t, 1000)
	target := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(target, []byte("a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Binary(src, target)
	if err == nil || !strings.Contains(err.Error(), target) || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("install into file %s: %v, want an error naming it as not a directory", target, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "a file" {
		t.Errorf("%s changed to %q", target, b)
	}
	if got := names(t, filepath.Dir(target)); !slices.Equal(got, []string{"bin"}) {
		t.Errorf("%s holds %v", filepath.Dir(target), got)
	}
}

func TestBinaryMissingTarget(t *testing.T) {
	src := randomFile(t, 1000)
	target := filepath.Join(t.TempDir(), "missing")
	_, err := Binary(src, target)
	if err == nil || !strings.Contains(err.Error(), target) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("install into missing %s: %v, want a not-exist error naming it", target, err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was created (%v)", target, err)
	}
}

// TestBinaryFailedRenameCleansUp: the rename fails (vf-offload is a
// directory) after the temporary file was written; it must be gone.
func TestBinaryFailedRenameCleansUp(t *testing.T) {
	src := randomFile(t, 1<<20)
	dir := t.TempDir()
	dst := filepath.Join(dir, Name)
	if err := os.MkdirAll(filepath.Join(dst, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Binary(src, dir)
	if err == nil || !strings.Contains(err.Error(), dst) {
		t.Fatalf("install over directory %s: %v, want an error naming it", dst, err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{Name}) {
		t.Errorf("%s holds %v after the failure, want only %s (no temporary file)", dir, got, Name)
	}
	if got := names(t, dst); !slices.Equal(got, []string{"keep"}) {
		t.Errorf("%s holds %v, want it untouched", dst, got)
	}
}

func TestBinaryBadSource(t *testing.T) {
	for name, src := range map[string]string{
		"missing":   filepath.Join(t.TempDir(), "nope"),
		"directory": t.TempDir(),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Binary(src, dir)
			if err == nil || !strings.Contains(err.Error(), src) {
				t.Fatalf("install of %s: %v, want an error naming it", src, err)
			}
			if got := names(t, dir); len(got) != 0 {
				t.Errorf("%s holds %v, want nothing", dir, got)
			}
		})
	}
}

// TestBinaryReadOnlyTarget: a directory the installer may not write to is
// refused with its name, and the old binary stays. Root writes into a mode
// 0555 directory anyway; TestMainNonRootCannotWrite and the image test
// (read-only mount) cover that case as root.
func TestBinaryReadOnlyTarget(t *testing.T) {
	src := randomFile(t, 1000)
	dir := t.TempDir()
	dst := filepath.Join(dir, Name)
	if err := os.WriteFile(dst, []byte("old"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		// root writes into a mode 0555 directory anyway: make it a
		// read-only bind mount of itself, as a read-only hostPath is.
		_ = f.Close()
		_ = os.Remove(f.Name())
		if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
			t.Fatalf("bind %s: %v", dir, err)
		}
		t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
		if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			t.Fatalf("remount %s read-only: %v", dir, err)
		}
	}
	_, err := Binary(src, dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !(errors.Is(err, os.ErrPermission) || errors.Is(err, unix.EROFS)) {
		t.Fatalf("install into read-only %s: %v, want a permission or read-only error naming it", dir, err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "old" {
		t.Errorf("%s changed to %q", dst, b)
	}
	if got := names(t, dir); !slices.Equal(got, []string{Name}) {
		t.Errorf("%s holds %v", dir, got)
	}
}
