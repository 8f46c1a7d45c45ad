package state

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const pci = "0000:03:00.2"

func TestLockGoroutines(t *testing.T) {
	s := NewStore(t.TempDir())
	unlock, err := s.Lock(pci, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := s.Lock(pci, 50*time.Millisecond)
		done <- err
	}()
	if err := <-done; !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("second Lock: %v, want ErrLockTimeout", err)
	}
	if fi, err := os.Stat(filepath.Join(s.dir, pci+".lock")); err != nil || fi.Mode() != 0o600 {
		t.Errorf("lock file mode: %v", err)
	}
	go func() {
		u, err := s.Lock(pci, 5*time.Second)
		if err == nil {
			u()
		}
		done <- err
	}()
	time.Sleep(30 * time.Millisecond)
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
}

func TestLockSurvivesRemove(t *testing.T) {
	s := NewStore(t.TempDir())
	unlock, _ := s.Lock(pci, time.Second)
	got := make(chan func())
	go func() { u, _ := s.Lock(pci, 5*time.Second); got <- u }()
	time.Sleep(30 * time.Millisecond)
	s.Remove(pci) // holder removes the lock file, then unlocks
	unlock()
	u2 := <-got
	// A third locker must now be excluded: the waiter holds the new file.
	if _, err := s.Lock(pci, 50*time.Millisecond); !errors.Is(err, ErrLockTimeout) {
		t.Errorf("third Lock: %v, want ErrLockTimeout", err)
	}
	u2()
}

// TestMain makes the test binary the other process of TestLockOtherProcess
// when VF_OFFLOAD_LOCK_HELPER_DIR is set: it takes the lock in that
// directory, says "locked" and holds it until it is killed. That run
// executes no test, so it reports none (not even a skipped one).
func TestMain(m *testing.M) {
	if dir := os.Getenv("VF_OFFLOAD_LOCK_HELPER_DIR"); dir != "" {
		if _, err := NewStore(dir).Lock(pci, time.Second); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLockOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "VF_OFFLOAD_LOCK_HELPER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper: %q, %v", line, err)
	}
	s := NewStore(dir)
	if _, err := s.Lock(pci, 100*time.Millisecond); !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("Lock while helper holds it: %v, want ErrLockTimeout", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	unlock, err := s.Lock(pci, 5*time.Second)
	if err != nil {
		t.Fatalf("Lock after helper died: %v", err)
	}
	unlock()
}
