package state

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// ErrLockTimeout is wrapped by the error Lock returns when it gives up.
var ErrLockTimeout = errors.New("timed out waiting for the VF lock")

const lockPoll = 10 * time.Millisecond

// Lock takes an exclusive flock on <dir>/<pci>.lock, waiting at most timeout.
// The kernel releases it if the process dies. unlock releases and closes the
// lock file; it does not delete it. If the file was removed or replaced while
// Lock waited, Lock locks the new file instead, so Remove cannot split the
// lock between two holders.
func (s *Store) Lock(pci string, timeout time.Duration) (unlock func(), err error) {
	p, err := s.path(pci, ".lock")
	if err != nil {
		return nil, err
	}
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("state: opening lock %q: %w", p, err)
		}
		for {
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			if err == nil || !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
				break
			}
			if !time.Now().Before(deadline) {
				f.Close()
				return nil, fmt.Errorf("state: VF %s: lock %q held for more than %s: %w", pci, p, timeout, ErrLockTimeout)
			}
			time.Sleep(lockPoll)
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("state: flock %q: %w", p, err)
		}
		if sameFile(f, p) {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		f.Close() // removed or replaced while we waited: retry on the new file
	}
}

func sameFile(f *os.File, p string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Lstat(p)
	return err == nil && os.SameFile(fi, pi)
}
