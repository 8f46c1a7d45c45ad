package nic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vf-offload/vf-offload/pkg/roottest"
)

// These tests need root and a real kernel (netns, veth, /dev/fuse). They
// run the real sriovnet v1.3.0 (through e2e/sriovprobe) inside the bed.

func requireRoot(t *testing.T) {
	t.Helper()
	roottest.Root(t, "the emulated NIC (netns, veth, FUSE mounts)")
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

var nsSeq int

// newNS creates a named netns and removes it in cleanup; returns its path.
func newNS(t *testing.T, role string) (string, string) {
	t.Helper()
	nsSeq++
	name := fmt.Sprintf("vfot%d-%d-%s", os.Getpid(), nsSeq, role)
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return name, "/run/netns/" + name
}

type probe struct {
	PCI            string
	Netdevs        []string
	Index          int
	PF             string
	PFNetdevs      []string
	Uplink         string
	UplinkPCI      string
	Rep            string
	RepPCI         string
	RepPortName    string
	RepSwitchID    string
	UplinkPortName string
	UplinkSwitchID string
	VfioBound      bool
	Driver         string
	Errors         map[string]string
}

func buildProbe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sriovprobe")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/vf-offload/vf-offload/e2e/sriovprobe").CombinedOutput()
	if err != nil {
		t.Fatalf("build sriovprobe: %v\n%s", err, out)
	}
	return bin
}

func runProbe(t *testing.T, n *NIC, bin string, pci string) probe {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := n.Command(bin, pci)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sriovprobe %s in bed: %v\n%s", pci, err, stderr.String())
	}
	var ps []probe
	if err := json.Unmarshal(stdout.Bytes(), &ps); err != nil || len(ps) != 1 {
		t.Fatalf("sriovprobe output %q: %v", stdout.String(), err)
	}
	return ps[0]
}

// checkProbe checks a probe against the expected VF netdevs and rep name.
func checkProbe(t *testing.T, n *NIC, p probe, vf VF, netdevs []string, rep string) {
	t.Helper()
	if len(p.Errors) != 0 {
		t.Errorf("VF %s: sriovnet errors: %v", vf.PCI, p.Errors)
	}
	if !slices.Equal(p.Netdevs, netdevs) {
		t.Errorf("VF %s: GetNetDevicesFromPci = %v, want %v", vf.PCI, p.Netdevs, netdevs)
	}
	want := probe{PCI: vf.PCI, Index: vf.Index, PF: n.PFPCI, Uplink: n.Uplink, UplinkPCI: n.PFPCI,
		Rep: rep, RepPCI: n.PFPCI, RepPortName: fmt.Sprintf("pf0vf%d", vf.Index), RepSwitchID: n.SwitchID,
		UplinkPortName: "p0", UplinkSwitchID: n.SwitchID, Driver: n.Profile.VFDriver}
	got := p
	got.Netdevs, got.PFNetdevs, got.Errors = nil, nil, nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("VF %s: probe\n got %+v\nwant %+v", vf.PCI, got, want)
	}
}

func pfNetdevs(n *NIC, reps []string) []string {
	want := append([]string{n.Uplink}, reps...)
	if n.PFNetdev != n.Uplink {
		want = append(want, n.PFNetdev)
	}
	sort.Strings(want)
	return want
}

func linkNames(t *testing.T, ns string) []string {
	t.Helper()
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(run(t, "ip", "-n", ns, "-o", "link", "show")), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 {
			names = append(names, strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0])
		}
	}
	return names
}

type ipLink struct {
	MTU     int      `json:"mtu"`
	Address string   `json:"address"`
	Alias   string   `json:"ifalias"`
	Flags   []string `json:"flags"`
}

// checkLink checks a link's MTU, MAC, ifalias and admin state.
func checkLink(t *testing.T, ns, dev string, mtu int, mac, alias string, up bool) {
	t.Helper()
	var ls []ipLink
	if err := json.Unmarshal([]byte(run(t, "ip", "-n", ns, "-j", "link", "show", "dev", dev)), &ls); err != nil || len(ls) != 1 {
		t.Fatalf("ip -j link show %s: %v", dev, err)
	}
	l := ls[0]
	if l.MTU != mtu || l.Address != mac || l.Alias != alias || slices.Contains(l.Flags, "UP") != up {
		t.Errorf("%s: mtu %d mac %s alias %q flags %v; want mtu %d mac %s alias %q up %v",
			dev, l.MTU, l.Address, l.Alias, l.Flags, mtu, mac, alias, up)
	}
}

func ifindex(t *testing.T, ns, dev string) string {
	t.Helper()
	f := strings.Fields(run(t, "ip", "-n", ns, "-o", "link", "show", dev))
	return strings.TrimSuffix(f[0], ":")
}

func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], dir) {
			out = append(out, l)
		}
	}
	return out
}

// ourNetns lists the named netns this test process created that still exist.
func ourNetns(t *testing.T) []string {
	t.Helper()
	m, _ := filepath.Glob(fmt.Sprintf("/run/netns/vfot%d-*", os.Getpid()))
	return m
}

func TestProfiles(t *testing.T) {
	requireRoot(t)
	bin := buildProbe(t)
	for _, p := range []Profile{Agilio(), ConnectX5()} {
		t.Run(p.Name, func(t *testing.T) { testProfile(t, p, bin) })
		if left := ourNetns(t); len(left) != 0 {
			t.Errorf("%s: netns left behind: %v", p.Name, left)
		}
	}
}

func testProfile(t *testing.T, p Profile, bin string) {
	node, nodePath := newNS(t, "node")
	dir := t.TempDir()
	n, err := Start(nodePath, dir, p, 4)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	if len(n.VFs) != 4 {
		t.Fatalf("%d VFs, want 4", len(n.VFs))
	}
	var reps []string
	for _, vf := range n.VFs {
		reps = append(reps, vf.Rep)
	}
	for _, vf := range n.VFs {
		pr := runProbe(t, n, bin, vf.PCI)
		if vf.Index == 0 {
			t.Logf("probe of VF 0: %+v", pr)
		}
		checkProbe(t, n, pr, vf, []string{vf.Netdev}, vf.Rep)
		if got := pr.PFNetdevs; !slices.Equal(got, pfNetdevs(n, reps)) {
			t.Errorf("PF netdevs = %v, want %v", got, pfNetdevs(n, reps))
		}
	}

	// Rename representor 1 and move VF 1 into a pod netns as eth0.
	vf := n.VFs[1]
	_, podPath := newNS(t, "pod")
	pod := filepath.Base(podPath)
	run(t, "ip", "-n", node, "link", "set", vf.Rep, "name", "rep1new")
	run(t, "ip", "-n", node, "link", "set", vf.Netdev, "netns", pod)
	run(t, "ip", "-n", pod, "link", "set", vf.Netdev, "name", "eth0")
	checkProbe(t, n, runProbe(t, n, bin, vf.PCI), vf, []string{}, "rep1new")
	reps[1] = "rep1new"
	if got := runProbe(t, n, bin, n.VFs[2].PCI).PFNetdevs; !slices.Equal(got, pfNetdevs(n, reps)) {
		t.Errorf("after rename: PF netdevs = %v, want %v", got, pfNetdevs(n, reps))
	}
	// A link with no peer or lower device: iflink is its own ifindex, as
	// the kernel shows it (netlink then carries no IFLA_LINK).
	if out, err := n.Command("cat", "/sys/class/net/lo/ifindex", "/sys/class/net/lo/iflink").CombinedOutput(); err != nil ||
		string(out) != "1\n1\n" {
		t.Errorf("lo's ifindex and iflink in the emulated sysfs: %q %v, want 1 and 1", out, err)
	}
	// A netns made outside the bed is usable inside it.
	if out, err := n.Command("ip", "netns", "exec", pod, "true").CombinedOutput(); err != nil {
		t.Errorf("pod netns not usable inside the bed: %v\n%s", err, out)
	}
	if out, err := n.Command("nsenter", "--net="+podPath, "ip", "link", "show", "eth0").CombinedOutput(); err != nil {
		t.Errorf("nsenter into pod netns inside the bed: %v\n%s", err, out)
	}

	// Move it back under its pod name, then into the pod again.
	run(t, "ip", "-n", pod, "link", "set", "eth0", "netns", node)
	checkProbe(t, n, runProbe(t, n, bin, vf.PCI), vf, []string{"eth0"}, "rep1new")
	run(t, "ip", "-n", node, "link", "set", "eth0", "netns", pod)
	run(t, "ip", "-n", pod, "link", "set", "eth0", "mtu", "1400", "address", "02:00:00:aa:bb:cc", "alias", vf.Netdev)
	run(t, "ip", "-n", node, "link", "set", "rep1new", "mtu", "1400", "up")

	// Deleting the pod netns brings the VF back as eth0, its representor
	// keeps its new name.
	back, err := n.DestroyNetns(podPath)
	if err != nil {
		t.Fatalf("DestroyNetns: %v", err)
	}
	if want := map[string]string{vf.PCI: "eth0"}; fmt.Sprint(back) != fmt.Sprint(want) {
		t.Errorf("DestroyNetns = %v, want %v", back, want)
	}
	if _, err := os.Stat(podPath); !os.IsNotExist(err) {
		t.Errorf("pod netns %s still exists: %v", podPath, err)
	}
	checkProbe(t, n, runProbe(t, n, bin, vf.PCI), vf, []string{"eth0"}, "rep1new")
	checkLink(t, node, "eth0", 1400, "02:00:00:aa:bb:cc", vf.Netdev, false)
	checkLink(t, node, "rep1new", 1400, vf.RepMAC, "", true)

	// eth0 is now taken in the node netns: VF 2 comes back as dev<ifindex>.
	vf2 := n.VFs[2]
	_, pod2Path := newNS(t, "pod2")
	pod2 := filepath.Base(pod2Path)
	run(t, "ip", "-n", node, "link", "set", vf2.Netdev, "netns", pod2)
	run(t, "ip", "-n", pod2, "link", "set", vf2.Netdev, "name", "eth0")
	back, err = n.DestroyNetns(pod2Path)
	if err != nil {
		t.Fatalf("DestroyNetns(pod2): %v", err)
	}
	name := back[vf2.PCI]
	if !strings.HasPrefix(name, "dev") || len(back) != 1 {
		t.Fatalf("DestroyNetns(pod2) = %v, want %s -> dev<ifindex>", back, vf2.PCI)
	}
	if idx := ifindex(t, node, name); "dev"+idx != name {
		t.Errorf("VF came back as %s but its ifindex is %s", name, idx)
	}
	checkProbe(t, n, runProbe(t, n, bin, vf2.PCI), vf2, []string{name}, vf2.Rep)
	if _, err := os.Stat(pod2Path); !os.IsNotExist(err) {
		t.Errorf("pod netns %s still exists: %v", pod2Path, err)
	}

	// Close leaves nothing behind, and is idempotent.
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if names := linkNames(t, node); !slices.Equal(names, []string{"lo"}) {
		t.Errorf("links left in node netns: %v", names)
	}
	if m := mountsUnder(t, dir); len(m) != 0 {
		t.Errorf("mounts left under %s: %v", dir, m)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left in %s: %v", dir, ents)
	}
}
