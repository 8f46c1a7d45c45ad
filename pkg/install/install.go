// Package install puts the vf-offload binary into a CNI bin directory the way
// a node needs it replaced: never a partly written file under the name the
// container runtime executes, and no "text file busy" when the old binary is
// running. It is what `vf-offload install` (the image's entrypoint) does.
package install

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Name is the file name the binary gets in the target directory: the CNI
// "type" of the plugin.
const Name = "vf-offload"

// tempPattern names the temporary file in the target directory. It starts
// with a dot and is no CNI type, so nothing ever executes it.
const tempPattern = "." + Name + ".install-*"

// Result says what Binary did.
type Result struct {
	Path   string // the installed file, <dir>/vf-offload
	Size   int64
	SHA256 string // of the installed file, hex
	// Previous is the SHA-256 of the regular file the install replaced, ""
	// when there was none.
	Previous string
}

// Binary copies src into dir as Name: into a new temporary file in dir,
// synced and set to mode 0755, checked against src (size and SHA-256), then
// renamed over <dir>/vf-offload, and dir synced. rename(2) within one
// directory is atomic, so whoever runs <dir>/vf-offload runs either the old
// file or the whole new one; a process running the old one keeps its inode,
// which is why this works where writing over the file fails with ETXTBSY.
// On any error before the rename the temporary file is removed and dir is
// as it was.
func Binary(src, dir string) (Result, error) {
	if err := checkDir(dir); err != nil {
		return Result{}, err
	}
	in, err := os.Open(src)
	if err != nil {
		return Result{}, fmt.Errorf("install: open the binary to install: %w", err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return Result{}, fmt.Errorf("install: %s: %w", src, err)
	}
	if !st.Mode().IsRegular() {
		return Result{}, fmt.Errorf("install: %s is not a regular file (mode %s)", src, st.Mode())
	}
	r := Result{Path: filepath.Join(dir, Name)}
	r.Previous = digestIfRegular(r.Path)

	tmp, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return Result{}, fmt.Errorf("install: cannot write into target directory %s: %w", dir, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(tmp, io.TeeReader(in, h))
	if err != nil {
		return Result{}, fmt.Errorf("install: copy %s to %s: %w", src, tmp.Name(), err)
	}
	if n != st.Size() {
		return Result{}, fmt.Errorf("install: copied %d bytes of %s, which has %d", n, src, st.Size())
	}
	if err := tmp.Chmod(0o755); err != nil {
		return Result{}, fmt.Errorf("install: chmod 0755 %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return Result{}, fmt.Errorf("install: fsync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return Result{}, fmt.Errorf("install: close %s: %w", tmp.Name(), err)
	}
	sum := h.Sum(nil)
	if err := verify(tmp.Name(), n, sum); err != nil {
		return Result{}, err
	}
	if err := os.Rename(tmp.Name(), r.Path); err != nil {
		return Result{}, fmt.Errorf("install: rename %s to %s: %w", tmp.Name(), r.Path, err)
	}
	renamed = true
	r.Size, r.SHA256 = n, hex.EncodeToString(sum)
	if err := syncDir(dir); err != nil {
		return r, fmt.Errorf("install: %s is in place but the directory could not be synced: %w", r.Path, err)
	}
	return r, nil
}

// checkDir refuses a target that is missing or not a directory, naming it.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("install: target directory %s does not exist: %w", dir, err)
	case err != nil:
		return fmt.Errorf("install: target directory %s: %w", dir, err)
	case !st.IsDir():
		return fmt.Errorf("install: target %s is not a directory (mode %s)", dir, st.Mode())
	}
	return nil
}

// verify reads the written file back and compares it with what was copied.
func verify(path string, size int64, sum []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("install: verify %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("install: verify %s: %w", path, err)
	}
	if n != size || !bytes.Equal(h.Sum(nil), sum) {
		return fmt.Errorf("install: verify %s: %d bytes, sha256 %x; want %d bytes, sha256 %x", path, n, h.Sum(nil), size, sum)
	}
	return nil
}

// digestIfRegular is the hex SHA-256 of path when it is a readable regular
// file, "" otherwise. It only feeds the report.
func digestIfRegular(path string) string {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// syncDir makes the rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return d.Close()
}
