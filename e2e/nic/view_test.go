package nic

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// TestViewFollowsStorm changes links in the node netns from several
// goroutines at once (renames, moves into a pod netns and back with an
// ifindex clash on each side, aliases, MTUs, links added and deleted)
// while others list the sysfs; after every change the changer reads the
// sysfs through the FUSE mount and must see it. Afterwards the view must
// equal a fresh dump, and it must have been kept current from
// notifications, not by dumping.
func TestViewFollowsStorm(t *testing.T) {
	requireRoot(t)
	const workers, perWorker, rounds = 4, 4, 2
	n, _, _ := startNIC(t, Agilio(), workers*perWorker)
	nodeNS, err := netns.GetFromPath(n.NodeNS)
	if err != nil {
		t.Fatal(err)
	}
	defer nodeNS.Close()
	if _, err := n.snapshot(); err != nil { // the first request dumps
		t.Fatal(err)
	}
	dumps := n.SysfsDumps()
	pods := make([]string, workers)
	for w := range pods {
		_, pods[w] = newNS(t, "pod")
	}

	stopReaders := listStorms(t, n, 2)
	var wg sync.WaitGroup
	count := make([]int, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := newChanger(n, nodeNS, pods[w])
			if err != nil {
				t.Error(err)
				return
			}
			defer c.close()
			for r := range rounds {
				for _, vf := range n.VFs[w*perWorker : (w+1)*perWorker] {
					if err := c.churn(vf, fmt.Sprintf("%dv%dr%d", w, vf.Index, r)); err != nil {
						t.Errorf("VF %d round %d: %v", vf.Index, r, err)
						return
					}
				}
			}
			count[w] = c.changes
		}()
	}
	wg.Wait()
	stopReaders()
	total := 0
	for _, c := range count {
		total += c
	}
	extra := n.SysfsDumps() - dumps
	t.Logf("%d link changes, %d sysfs requests, %d full dumps", total, n.SysfsRequests(), extra)

	// Operstate changes come from the kernel's linkwatch a little later:
	// give the view and the dump a moment to agree.
	var diff string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if diff, err = viewDiff(n, nodeNS); err != nil {
			t.Fatal(err)
		}
		if diff == "" || time.Now().After(deadline) {
			break
		}
	}
	if diff != "" {
		t.Errorf("view differs from a fresh dump (-view +dump):\n%s", diff)
	}
	if extra > 2 {
		t.Errorf("%d full dumps during %d link changes: the view is not kept from notifications", extra, total)
	}
}

// listStorms starts k goroutines running listStorm; the returned func
// stops them and waits for them.
func listStorms(t *testing.T, n *NIC, k int) func() {
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range k {
		readers.Go(func() { listStorm(t, n, done) })
	}
	return func() { close(done); readers.Wait() }
}

// listStorm lists the sysfs until done; a request may race with a change
// (ENOENT) but must never fail otherwise.
func listStorm(t *testing.T, n *NIC, done <-chan struct{}) {
	pfNet := filepath.Join(n.SysfsDir, "devices", n.PFPCI, "net")
	for {
		select {
		case <-done:
			return
		default:
		}
		ents, err := os.ReadDir(filepath.Join(n.SysfsDir, "net"))
		if err == nil {
			var more []os.DirEntry
			more, err = os.ReadDir(pfNet)
			ents = append(ents, more...)
		}
		for _, e := range ents {
			if err != nil {
				break
			}
			_, err = os.ReadFile(filepath.Join(pfNet, e.Name(), "iflink"))
			if errors.Is(err, os.ErrNotExist) {
				err = nil
			}
		}
		if err != nil {
			t.Errorf("sysfs during the storm: %v", err)
			return
		}
	}
}

// changer changes one worker's VFs and checks the sysfs after each change.
type changer struct {
	n          *NIC
	node, pod  *netlink.Handle
	nodeNS     netns.NsHandle
	podNS      netns.NsHandle
	changes    int
	pfNet, dir string
}

func newChanger(n *NIC, nodeNS netns.NsHandle, podPath string) (*changer, error) {
	c := &changer{n: n, nodeNS: nodeNS, dir: n.SysfsDir, pfNet: filepath.Join("devices", n.PFPCI, "net")}
	var err error
	if c.podNS, err = netns.GetFromPath(podPath); err != nil {
		return nil, err
	}
	if c.node, err = netlink.NewHandleAt(nodeNS); err != nil {
		return nil, err
	}
	if c.pod, err = netlink.NewHandleAt(c.podNS); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *changer) close() { c.node.Close(); c.pod.Close(); c.podNS.Close() }

// do makes one change and checks the sysfs right after it.
func (c *changer) do(what string, change func() error, check func() error) error {
	if err := change(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c.changes++
	if err := check(); err != nil {
		return fmt.Errorf("right after %s: %w", what, err)
	}
	return nil
}

func (c *changer) read(rel ...string) string {
	b, err := os.ReadFile(filepath.Join(append([]string{c.dir}, rel...)...))
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(string(b))
}

func (c *changer) list(rel ...string) []string {
	ents, err := os.ReadDir(filepath.Join(append([]string{c.dir}, rel...)...))
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func want(what, got, want string) error {
	if got != want {
		return fmt.Errorf("%s = %q, want %q", what, got, want)
	}
	return nil
}

// churn renames vf's representor, moves the VF into the pod and back (each
// time onto an ifindex taken there), sets an alias and an MTU, adds and
// deletes a plain link, and renames the representor back.
func (c *changer) churn(vf VF, tag string) error {
	rep, err := c.node.LinkByName(vf.Rep)
	if err != nil {
		return err
	}
	newRep := "r" + tag
	steps := []struct {
		what   string
		change func() error
		check  func() error
	}{
		{"rename representor", func() error { return c.node.LinkSetName(rep, newRep) }, func() error {
			pf := c.list(c.pfNet)
			if !slices.Contains(pf, newRep) || slices.Contains(pf, vf.Rep) || !slices.Contains(c.list("net"), newRep) {
				return fmt.Errorf("PF net/ %v, class/net %v: want %s and no %s", pf, c.list("net"), newRep, vf.Rep)
			}
			return nil
		}},
		{"move VF into the pod onto a taken ifindex", func() error { return c.moveClash(c.node, c.pod, c.podNS, vf.Netdev, "c"+tag) }, func() error {
			return c.checkPair(vf, newRep, c.pod, nil)
		}},
		{"move VF back onto a taken ifindex", func() error { return c.moveClash(c.pod, c.node, c.nodeNS, vf.Netdev, "k"+tag) }, func() error {
			if !slices.Contains(c.list("net"), "k"+tag) {
				return fmt.Errorf("class/net %v: no k%s", c.list("net"), tag)
			}
			return c.checkPair(vf, newRep, c.node, []string{vf.Netdev})
		}},
		{"set VF alias", func() error {
			return c.node.LinkSetAlias(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: vf.Netdev}}, "a"+tag)
		}, func() error {
			return want("VF ifalias", c.read("devices", vf.PCI, "net", vf.Netdev, "ifalias"), "a"+tag)
		}},
		{"set representor MTU", func() error { return c.node.LinkSetMTU(rep, 1400+len(tag)) }, func() error {
			return want("representor mtu", c.read(c.pfNet, newRep, "mtu"), strconv.Itoa(1400+len(tag)))
		}},
		{"delete the plain links", func() error { return c.delLink(c.node, "k"+tag) }, func() error {
			if l := c.list("net"); slices.Contains(l, "k"+tag) || slices.Contains(l, "k"+tag+"p") {
				return fmt.Errorf("class/net still lists k%s or its peer: %v", tag, l)
			}
			return nil
		}},
		{"rename representor back", func() error { return c.node.LinkSetName(rep, vf.Rep) }, func() error {
			return want("representor ifindex", c.read(c.pfNet, vf.Rep, "ifindex"), strconv.Itoa(rep.Attrs().Index))
		}},
	}
	for _, s := range steps {
		if err := c.do(s.what, s.change, s.check); err != nil {
			return err
		}
	}
	return c.delLink(c.pod, "c"+tag)
}

// moveClash adds a veth pair named clash (+"p" for the peer; no dummy
// driver in this kernel) to the target netns, one end on the link's
// current ifindex, so that the kernel gives the link a new index
// there, and moves the link.
func (c *changer) moveClash(from, to *netlink.Handle, toNS netns.NsHandle, name, clash string) error {
	l, err := from.LinkByName(name)
	if err != nil {
		return err
	}
	d := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: clash}, PeerName: clash + "p"}
	if _, err := to.LinkByIndex(l.Attrs().Index); err != nil {
		d.Index = l.Attrs().Index // free: take it
	}
	err = to.LinkAdd(d)
	if err != nil && d.Index != 0 {
		// taken meanwhile by another worker's link: the clash is there anyway
		d.Index = 0
		err = to.LinkAdd(d)
	}
	if err != nil {
		return fmt.Errorf("veth %s: %w", clash, err)
	}
	c.changes++
	return from.LinkSetNsFd(l, int(toNS))
}

func (c *changer) delLink(h *netlink.Handle, name string) error {
	l, err := h.LinkByName(name)
	if err != nil {
		return err
	}
	return h.LinkDel(l)
}

// checkPair checks the VF's net/ (netdevs: the names it must list) and
// that each end's iflink is the other's ifindex, the VF being in vfNS.
func (c *changer) checkPair(vf VF, rep string, vfNS *netlink.Handle, netdevs []string) error {
	if got := c.list("devices", vf.PCI, "net"); !slices.Equal(got, netdevs) {
		return fmt.Errorf("VF net/ %v, want %v", got, netdevs)
	}
	l, err := vfNS.LinkByName(vf.Netdev)
	if err != nil {
		return err
	}
	if err := want("representor iflink", c.read(c.pfNet, rep, "iflink"), strconv.Itoa(l.Attrs().Index)); err != nil {
		return err
	}
	if len(netdevs) == 0 {
		return nil
	}
	if err := want("VF ifindex", c.read("devices", vf.PCI, "net", vf.Netdev, "ifindex"), strconv.Itoa(l.Attrs().Index)); err != nil {
		return err
	}
	return want("VF iflink", c.read("devices", vf.PCI, "net", vf.Netdev, "iflink"), strconv.Itoa(l.Attrs().ParentIndex))
}

// viewDiff compares the NIC's view with a fresh dump of the node netns.
func viewDiff(n *NIC, nodeNS netns.NsHandle) (string, error) {
	s, err := n.snapshot()
	if err != nil {
		return "", err
	}
	h, err := netlink.NewHandleAt(nodeNS)
	if err != nil {
		return "", err
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return "", fmt.Errorf("dump: %w", err)
	}
	// Not the alias: the view reads it from the kernel at each request.
	describe := func(a *netlink.LinkAttrs) string {
		return fmt.Sprintf("%s index %d iflink %d mac %s mtu %d %s role %q",
			a.Name, a.Index, a.ParentIndex, a.HardwareAddr, a.MTU, a.OperState, n.roleOf(a))
	}
	var got, dumped []string
	for _, name := range s.names {
		got = append(got, describe(s.byName[name].attrs))
	}
	for _, l := range links {
		dumped = append(dumped, describe(l.Attrs()))
	}
	sort.Strings(dumped)
	var d []string
	for _, g := range got {
		if !slices.Contains(dumped, g) {
			d = append(d, "-"+g)
		}
	}
	for _, g := range dumped {
		if !slices.Contains(got, g) {
			d = append(d, "+"+g)
		}
	}
	return strings.Join(d, "\n"), nil
}

// TestViewNumVFsUnderReads writes sriov_numvfs while others list the sysfs:
// the new VF pairs are down, so the kernel does not notify the altnames
// that make them VFs and representors; right after the write returns they
// must show as such all the same. Then they must go at once.
func TestViewNumVFsUnderReads(t *testing.T) {
	requireRoot(t)
	n, _, _ := startNIC(t, Agilio(), 0)
	stopReaders := listStorms(t, n, 2)
	defer stopReaders()
	c := &changer{n: n, dir: n.SysfsDir, pfNet: filepath.Join("devices", n.PFPCI, "net")}
	numvfs := filepath.Join(n.SysfsDir, "devices", n.PFPCI, "sriov_numvfs")
	for round := range 3 {
		if err := os.WriteFile(numvfs, []byte("16"), 0); err != nil {
			t.Fatalf("round %d: write 16: %v", round, err)
		}
		vfs := n.CurrentVFs()
		pf := c.list(c.pfNet)
		for _, vf := range vfs {
			if got := c.list("devices", vf.PCI, "net"); !slices.Equal(got, []string{vf.Netdev}) || !slices.Contains(pf, vf.Rep) {
				t.Fatalf("round %d: right after writing 16: VF %d net/ %v, PF net/ %v; want %s and %s", round, vf.Index, got, pf, vf.Netdev, vf.Rep)
			}
		}
		if err := os.WriteFile(numvfs, []byte("0"), 0); err != nil {
			t.Fatalf("round %d: write 0: %v", round, err)
		}
		devs, pf := c.list("devices"), c.list(c.pfNet)
		for _, vf := range vfs {
			if slices.Contains(devs, vf.PCI) || slices.Contains(pf, vf.Rep) {
				t.Fatalf("round %d: right after writing 0: devices/ %v, PF net/ %v still list VF %d", round, devs, pf, vf.Index)
			}
		}
	}
}
