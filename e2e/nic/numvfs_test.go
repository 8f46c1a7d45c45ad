package nic

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestParseNumVFs(t *testing.T) {
	for in, want := range map[string]struct {
		n     uint16
		errno syscall.Errno
	}{
		"3": {3, 0}, "3\n": {3, 0}, "0x10": {16, 0}, "010": {8, 0}, "+2": {2, 0}, "65535": {65535, 0},
		"65536": {0, syscall.ERANGE}, "": {0, syscall.EINVAL}, "\n": {0, syscall.EINVAL},
		"-1": {0, syscall.EINVAL}, "abc": {0, syscall.EINVAL}, "3\n\n": {0, syscall.EINVAL},
		" 3": {0, syscall.EINVAL}, "1_0": {0, syscall.EINVAL},
	} {
		n, errno := parseNumVFs([]byte(in))
		if n != want.n || errno != want.errno {
			t.Errorf("parseNumVFs(%q) = %d, %v; want %d, %v", in, n, errno, want.n, want.errno)
		}
	}
}

// TestNumVFsWrite writes the PF's sriov_numvfs the way a tool on the node
// does (inside the bed, through /sys/class/net/<pf>/device) and directly on
// the FUSE mount to read the errno, and checks the links the kernel would
// have made or removed and what sriovnet sees.
func TestNumVFsWrite(t *testing.T) {
	requireRoot(t)
	for _, p := range []Profile{Agilio(), ConnectX5()} {
		t.Run(p.Name, func(t *testing.T) { testNumVFsWrite(t, p) })
	}
}

func testNumVFsWrite(t *testing.T, p Profile) {
	n, node, _ := startNIC(t, p, 0)
	bin := buildProbe(t)
	numvfs := filepath.Join(n.SysfsDir, "devices", n.PFPCI, "sriov_numvfs")
	inBed := func(script string) (string, error) {
		out, err := n.Command("sh", "-c", script).CombinedOutput()
		return string(out), err
	}
	read := func() string {
		t.Helper()
		out, err := inBed("cat /sys/class/net/" + n.PFNetdev + "/device/sriov_numvfs")
		if err != nil {
			t.Fatalf("read sriov_numvfs: %v\n%s", err, out)
		}
		return strings.TrimSpace(out)
	}
	write := func(v string) error { return os.WriteFile(numvfs, []byte(v), 0) }
	base := linkNames(t, node)
	if got := read(); got != "0" {
		t.Fatalf("sriov_numvfs = %q at start, want 0", got)
	}
	if st, err := os.Stat(numvfs); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("sriov_numvfs mode: %v %v, want 0644 as on sysfs", st, err)
	}

	// 0 -> 3 with the shell, as the user guide does.
	if out, err := inBed("echo 3 > /sys/class/net/" + n.PFNetdev + "/device/sriov_numvfs"); err != nil {
		t.Fatalf("echo 3 > sriov_numvfs: %v\n%s", err, out)
	}
	if got := read(); got != "3" || len(n.CurrentVFs()) != 3 {
		t.Fatalf("after writing 3: sriov_numvfs %q, %d VFs", got, len(n.CurrentVFs()))
	}
	names := linkNames(t, node)
	var reps []string
	vfs := n.CurrentVFs()
	for _, vf := range vfs {
		reps = append(reps, vf.Rep)
		for _, dev := range []string{vf.Netdev, vf.Rep} {
			if !slices.Contains(names, dev) {
				t.Errorf("%s missing from the node netns after creating VFs: %v", dev, names)
			}
		}
		checkLink(t, node, vf.Netdev, 1500, vf.VFMAC, "", false)
		checkLink(t, node, vf.Rep, 1500, vf.RepMAC, "", false)
		if l, err := os.Readlink(filepath.Join(n.SysfsDir, "devices", n.PFPCI, "virtfn"+strconv.Itoa(vf.Index))); err != nil || l != "../"+vf.PCI {
			t.Errorf("virtfn%d -> %q (%v), want ../%s", vf.Index, l, err, vf.PCI)
		}
		checkProbe(t, n, runProbe(t, n, bin, vf.PCI), vf, []string{vf.Netdev}, vf.Rep)
	}
	if got := runProbe(t, n, bin, vfs[0].PCI).PFNetdevs; !slices.Equal(got, pfNetdevs(n, reps)) {
		t.Errorf("PF netdevs = %v, want %v", got, pfNetdevs(n, reps))
	}
	ifi := ifindex(t, node, vfs[0].Rep)

	// The kernel's refusals; nothing changes.
	for _, c := range []struct {
		val   string
		errno syscall.Errno
	}{
		{"2", syscall.EBUSY}, {"4\n", syscall.EBUSY},
		{strconv.Itoa(p.TotalVFs + 1), syscall.ERANGE}, {"70000", syscall.ERANGE},
		{"abc", syscall.EINVAL}, {"-1", syscall.EINVAL},
	} {
		if err := write(c.val); !errors.Is(err, c.errno) {
			t.Errorf("write %q: %v, want %v", c.val, err, c.errno)
		}
	}
	if out, err := inBed("echo 2 | tee /sys/class/net/" + n.PFNetdev + "/device/sriov_numvfs"); err == nil ||
		!strings.Contains(out, "Device or resource busy") {
		t.Errorf("echo 2 over 3 VFs in the bed: %v %q, want a 'Device or resource busy' failure", err, out)
	}
	if err := write("3"); err != nil {
		t.Errorf("write the current count: %v, want success", err)
	}
	if got := read(); got != "3" || len(n.CurrentVFs()) != 3 || ifindex(t, node, vfs[0].Rep) != ifi {
		t.Errorf("refused or no-op writes changed the VFs: sriov_numvfs %q, %d VFs", got, len(n.CurrentVFs()))
	}
	// Every other file stays read-only.
	for _, f := range []string{
		filepath.Join(n.SysfsDir, "devices", n.PFPCI, "sriov_totalvfs"),
		filepath.Join(n.SysfsDir, "devices", n.PFPCI, "net", n.Uplink, "mtu"),
		filepath.Join(n.SysfsDir, "net", "lo", "mtu"),
	} {
		if err := os.WriteFile(f, []byte("1"), 0); !errors.Is(err, syscall.EACCES) {
			t.Errorf("write %s: %v, want EACCES", f, err)
		}
	}

	// A VF in a pod netns goes away with the others on 0.
	pod, _ := newNS(t, "pod")
	run(t, "ip", "-n", node, "link", "set", vfs[1].Netdev, "netns", pod)
	if err := write("0\n"); err != nil {
		t.Fatalf("write 0: %v", err)
	}
	if got := read(); got != "0" || len(n.CurrentVFs()) != 0 {
		t.Errorf("after writing 0: sriov_numvfs %q, %d VFs", got, len(n.CurrentVFs()))
	}
	if got := linkNames(t, node); !slices.Equal(got, base) {
		t.Errorf("node links after 0 VFs: %v, want %v", got, base)
	}
	if got := linkNames(t, pod); !slices.Equal(got, []string{"lo"}) {
		t.Errorf("pod links after 0 VFs: %v, want only lo", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(n.SysfsDir, "devices", n.PFPCI)); slices.ContainsFunc(ents, func(e os.DirEntry) bool {
		return strings.HasPrefix(e.Name(), "virtfn")
	}) {
		t.Errorf("virtfn links left after 0 VFs")
	}
	if err := write("0"); err != nil {
		t.Errorf("write 0 again: %v", err)
	}
	// And back to 2 with the same names.
	if err := write("2"); err != nil || len(n.CurrentVFs()) != 2 {
		t.Fatalf("write 2 after 0: %v, %d VFs", err, len(n.CurrentVFs()))
	}
	vfs = n.CurrentVFs()
	checkProbe(t, n, runProbe(t, n, bin, vfs[1].PCI), vfs[1], []string{vfs[1].Netdev}, vfs[1].Rep)
}
