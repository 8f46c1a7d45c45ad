package nic

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The bed's mount namespace is made once per NIC: a short-lived holder
// (unshare -m) sets it up with setupScript and waits on its stdin; Start
// opens the holder's /proc/<pid>/ns/mnt and keeps that file open, then
// lets the holder exit. The open file alone keeps the namespace alive:
// commands enter it as /proc/<our pid>/fd/<fd> (see prefix). Closing the
// file (closeMntNS), or this process ending, frees the namespace and with
// it the bind mounts of the FUSE tree, unless a process still runs in it.

// setupScript hides the bind mounts from the host (rprivate /sys;
// /run/netns keeps its shared propagation, so that netns files added
// later on the host show inside), puts the FUSE tree over the PCI and net
// sysfs dirs, reports "ready" and waits until its stdin closes.
func (n *NIC) setupScript() string {
	m := shq(n.tools.mount)
	b := func(src, dst string) string {
		return fmt.Sprintf("%s --bind %s %s", m, shq(filepath.Join(n.SysfsDir, src)), dst)
	}
	lines := []string{
		"set -e",
		m + " --make-rprivate /sys",
		b("devices", "/sys/bus/pci/devices"),
		b("drivers", "/sys/bus/pci/drivers"),
		b("net", "/sys/class/net"),
	}
	for _, x := range n.binds {
		// The mount that holds Dst goes private first (not recursively:
		// /run/netns stays shared), so the bind stays in this namespace.
		lines = append(lines, fmt.Sprintf("%s --make-private \"$(findmnt -n -o TARGET -T %s)\"", m, shq(x.Dst)),
			fmt.Sprintf("%s --bind %s %s", m, shq(x.Src), shq(x.Dst)))
	}
	return strings.Join(append(lines,
		// Drop this namespace's copies of every emulated sysfs (this
		// NIC's, other NICs', other processes'): a copy would keep that
		// FUSE connection alive after its owner unmounts it. (A snapshot:
		// unmounting while reading the file could skip a line.)
		"mounts=$("+shq(n.tools.cat)+" /proc/self/mountinfo)",
		`printf '%s\n' "$mounts" | while read -r _ _ _ _ mp rest; do case "$rest" in *" - fuse.vfosysfs "*)`,
		`  case "$mp" in /sys/*) ;; *) `+shq(n.tools.umount)+` -l "$(printf '%b' "$mp")" || : ;; esac ;; esac`,
		"done",
		"echo ready",
		"read -r _ || :",
	), "\n")
}

// openMntNS creates the bed's mount namespace and sets n.mntns, n.mntPath.
func (n *NIC) openMntNS() error {
	if err := sharedNetnsDir(); err != nil {
		return err
	}
	cmd := exec.Command(n.tools.unshare, "-m", "--propagation", "unchanged", n.tools.sh, "-c", n.setupScript())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("mount namespace holder: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("mount namespace holder: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mount namespace holder: %w", err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	var f *os.File
	if line == "ready\n" {
		f, err = os.Open(fmt.Sprintf("/proc/%d/ns/mnt", cmd.Process.Pid))
	} else {
		err = fmt.Errorf("no ready line from holder (got %q)", line)
	}
	in.Close() // the holder exits; the namespace lives on in f
	if werr := cmd.Wait(); werr != nil || err != nil {
		if f != nil {
			f.Close()
		}
		return fmt.Errorf("set up mount namespace: %w: %s", errors.Join(err, werr), strings.TrimSpace(stderr.String()))
	}
	n.mntns = f
	n.mntPath = fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), f.Fd())
	return nil
}

// closeMntNS drops this process's hold on the bed's mount namespace.
func (n *NIC) closeMntNS() {
	if n.mntns != nil {
		n.mntns.Close()
		n.mntns = nil
	}
}

// sharedNetnsDir makes /run/netns a shared mount, as `ip netns add` does,
// so that netns files added after the bed's namespace is made show in it.
func sharedNetnsDir() error {
	const d = "/run/netns"
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("mkdir %s: %w", d, err)
	}
	err := unix.Mount("", d, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) { // not a mount point yet
		if err = unix.Mount(d, d, "none", unix.MS_BIND|unix.MS_REC, ""); err == nil {
			err = unix.Mount("", d, "none", unix.MS_SHARED|unix.MS_REC, "")
		}
	}
	if err != nil {
		return fmt.Errorf("make %s a shared mount: %w", d, err)
	}
	return nil
}
