package nic

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func startNIC(t *testing.T, p Profile, vfs int) (*NIC, string, string) {
	t.Helper()
	node, nodePath := newNS(t, "node")
	dir := t.TempDir()
	n, err := Start(nodePath, dir, p, vfs)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n, node, dir
}

// TestWrapperScript runs a script through the wrapper: arguments, stdin,
// environment and exit code pass through; inside, the fake sysfs is in
// place (all node links listed, driver link resolves), outside it is not.
func TestWrapperScript(t *testing.T) {
	requireRoot(t)
	n, _, _ := startNIC(t, ConnectX5(), 2)
	tmp := t.TempDir()
	real := filepath.Join(tmp, "real's plugin") // a quote and a space in the path
	body := `#!/bin/sh
echo "args:$#:$1:$2"
echo "stdin:$(cat)"
echo "env:$VFO_TEST"
echo "net:$(ls /sys/class/net | tr '\n' ' ')"
echo "physfn:$(readlink /sys/bus/pci/devices/` + n.VFs[1].PCI + `/physfn)"
echo "driver:$(basename "$(readlink -f /sys/bus/pci/devices/` + n.VFs[1].PCI + `/driver)")"
echo "port:$(cat /sys/class/net/` + n.VFs[1].Rep + `/phys_port_name)"
exit 7
`
	if err := os.WriteFile(real, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(tmp, "wrapper")
	if err := os.WriteFile(wrapper, []byte(n.WrapperScript(real)), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(wrapper, "a b", "c")
	cmd.Stdin = strings.NewReader("hello")
	cmd.Env = append(os.Environ(), "VFO_TEST=xyz")
	out, err := cmd.Output()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 7 {
		t.Fatalf("wrapper exit: %v, want exit 7; output:\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		"args:2:a b:c\n", "stdin:hello\n", "env:xyz\n",
		"physfn:../" + n.PFPCI + "\n", "driver:mlx5_core\n", "port:pf0vf1\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("wrapper output lacks %q:\n%s", want, got)
		}
	}
	var netLine string
	for _, l := range strings.Split(got, "\n") {
		if s, ok := strings.CutPrefix(l, "net:"); ok {
			netLine = s
		}
	}
	names := strings.Fields(netLine)
	for _, want := range []string{"lo", n.Uplink, n.VFs[0].Netdev, n.VFs[1].Rep, "vfo" + n.ID + "w"} {
		if !slices.Contains(names, want) {
			t.Errorf("/sys/class/net in the bed lacks %s: %v", want, names)
		}
	}
	// Nothing leaks into the host mount namespace.
	if _, err := os.Stat("/sys/class/net/" + n.Uplink); !os.IsNotExist(err) {
		t.Errorf("host /sys/class/net shows %s: %v", n.Uplink, err)
	}
	if m := mountsUnder(t, "/sys/bus/pci"); len(m) != 0 {
		t.Errorf("bind mounts leaked to the host: %v", m)
	}
}

// TestNetnsMadeInsideBed: a netns added inside the bed is usable outside.
func TestNetnsMadeInsideBed(t *testing.T) {
	requireRoot(t)
	n, _, _ := startNIC(t, Agilio(), 1)
	name := "vfot-inside-" + n.ID
	if out, err := n.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add inside the bed: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	run(t, "ip", "-n", name, "link", "show", "lo")
}

// TestProbeOutsideBed is the control: without the bed, sriovnet cannot see
// the emulated VF, so the checks above are not vacuous.
func TestProbeOutsideBed(t *testing.T) {
	requireRoot(t)
	n, _, _ := startNIC(t, Agilio(), 1)
	out, err := exec.Command(buildProbe(t), n.VFs[0].PCI).Output()
	if err != nil {
		t.Fatalf("sriovprobe: %v", err)
	}
	if !strings.Contains(string(out), "GetPfPciFromVfPci") {
		t.Errorf("sriovprobe outside the bed found the emulated VF:\n%s", out)
	}
}

// TestCloseFindsMovedLinks: Close removes VF ends sitting in other netns
// and works after the node netns is gone.
func TestCloseFindsMovedLinks(t *testing.T) {
	requireRoot(t)
	n, node, dir := startNIC(t, ConnectX5(), 2)
	pod, _ := newNS(t, "pod")
	run(t, "ip", "-n", node, "link", "set", n.VFs[0].Netdev, "netns", pod)
	// representor moved out of the node netns too: its VF end stays in node.
	run(t, "ip", "-n", node, "link", "set", n.VFs[1].Rep, "netns", pod)
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, ns := range []string{node, pod} {
		if names := linkNames(t, ns); !slices.Equal(names, []string{"lo"}) {
			t.Errorf("links left in %s: %v", ns, names)
		}
	}
	if m := mountsUnder(t, dir); len(m) != 0 {
		t.Errorf("mounts left under %s: %v", dir, m)
	}

	n2, node2, _ := startNIC(t, Agilio(), 1)
	run(t, "ip", "netns", "del", node2)
	if err := n2.Close(); err != nil {
		t.Errorf("Close after node netns deletion: %v", err)
	}
}

func TestStartRejectsTooManyVFs(t *testing.T) {
	requireRoot(t)
	_, nodePath := newNS(t, "node")
	if n, err := Start(nodePath, t.TempDir(), ConnectX5(), ConnectX5().TotalVFs+1); err == nil {
		n.Close()
		t.Fatal("Start accepted more VFs than sriov_totalvfs")
	}
}

// TestCloseWithLiveBed: a process still running inside the bed keeps a bind
// mount of the FUSE tree in its mount namespace; Close must not hang.
func TestCloseWithLiveBed(t *testing.T) {
	requireRoot(t)
	n, _, dir := startNIC(t, Agilio(), 1)
	cmd := n.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// wait until the bind mounts are in place in the child's namespace
	for i := 0; i < 100; i++ {
		if b, _ := os.ReadFile("/proc/" + itoa(cmd.Process.Pid) + "/mountinfo"); strings.Contains(string(b), "/sys/class/net") && strings.Contains(string(b), "fuse") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	if err := n.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("Close took %v with a live bed", time.Since(start))
	if m := mountsUnder(t, dir); len(m) != 0 {
		t.Errorf("mounts left under %s: %v", dir, m)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestBedNamespaceMounts: the bed's mount namespace holds the emulated
// sysfs only at the three bind mounts (no copy of any FUSE tree, this
// NIC's or another's, that would outlive its owner's unmount).
func TestBedNamespaceMounts(t *testing.T) {
	requireRoot(t)
	other, _, _ := startNIC(t, Agilio(), 1)
	n, _, _ := startNIC(t, ConnectX5(), 1)
	out, err := n.Command("cat", "/proc/self/mountinfo").Output()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.Contains(l, " - fuse.vfosysfs ") {
			got = append(got, f[4])
		}
	}
	slices.Sort(got)
	if want := []string{"/sys/bus/pci/devices", "/sys/bus/pci/drivers", "/sys/class/net"}; !slices.Equal(got, want) {
		t.Errorf("emulated sysfs mounts in the bed: %v, want %v", got, want)
	}
	if err := other.Close(); err != nil {
		t.Errorf("Close of the other NIC: %v", err)
	}
}
