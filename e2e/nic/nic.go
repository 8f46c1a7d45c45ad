package nic

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// VF describes one emulated VF with its original names and MACs.
type VF struct {
	Index  int
	PCI    string
	Netdev string
	Rep    string
	VFMAC  string
	RepMAC string
}

// NIC is a running emulated NIC.
type NIC struct {
	Profile  Profile
	NodeNS   string // node netns path
	ID       string // per-instance id used in altnames ("vfo<ID>-...")
	PFPCI    string
	PFNetdev string // PF's own netdev; equals Uplink when the profile has none
	Uplink   string
	SwitchID string
	// VFs are the VFs that exist now. Writes to the PF's sriov_numvfs
	// change them (under the NIC's lock): read them with CurrentVFs when
	// something may be writing it.
	VFs      []VF
	SysfsDir string // FUSE mount: devices/, net/, drivers/

	requests atomic.Int64 // FUSE requests served, see SysfsRequests
	view     view         // the node's links as the sysfs shows them

	mu     sync.Mutex // serialises netlink use through h, and changes to VFs
	nsh    netns.NsHandle
	h      *netlink.Handle
	server *fuse.Server
	fuseID uint64 // st_dev of the FUSE mount
	// mntns holds the bed's mount namespace open (mntns.go); mntPath
	// names it for nsenter: /proc/<pid>/fd/<fd>.
	mntns   *os.File
	mntPath string
	tools   tools
	binds   []Bind
	closed  bool
}

// Bind is a bind mount of Src over Dst inside the NIC's mount namespace.
type Bind struct{ Src, Dst string }

type tools struct{ nsenter, unshare, mount, umount, cat, sh string }

// Role prefixes in altnames: vfo<ID>-<role>.
const (
	roleVF   = "vf"   // VF end, + index
	roleRep  = "rep"  // representor end, + index
	roleUp   = "up"   // uplink representor (phys_port_name p0)
	roleWire = "wire" // uplink's peer: the "wire", a plain netdev
	rolePF   = "pf"   // PF's own netdev (nfp)
	rolePFX  = "pfx"  // peer of the PF netdev, a plain netdev
)

func (n *NIC) alt(role string) string { return "vfo" + n.ID + "-" + role }

// role returns the emulated role of a link from its altnames ("" if none).
func (n *NIC) role(l netlink.Link) string { return n.roleOf(l.Attrs()) }

func (n *NIC) roleOf(la *netlink.LinkAttrs) string {
	p := "vfo" + n.ID + "-"
	for _, a := range la.AltNames {
		if strings.HasPrefix(a, p) {
			return strings.TrimPrefix(a, p)
		}
	}
	return ""
}

// vfIndex parses "vf3"/"rep3" roles.
func vfIndex(role, prefix string) (int, bool) {
	s, ok := strings.CutPrefix(role, prefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil
}

func (n *NIC) mac(kind, idx int) net.HardwareAddr {
	id, _ := hex.DecodeString(n.ID)
	return net.HardwareAddr{0x02, id[0], id[1], id[2], byte(kind), byte(idx)}
}

// Start creates the emulated NIC with numVFs VFs in the network namespace
// nodeNS and serves its live sysfs in dir/sysfs. dir must exist and is
// private to this NIC. binds are further bind mounts made in the NIC's
// mount namespace after the sysfs ones (a node's /var/lib, /run/openvswitch,
// ... for real components that use fixed paths); each Dst must exist.
func Start(nodeNS string, dir string, p Profile, numVFs int, binds ...Bind) (*NIC, error) {
	if numVFs < 0 || numVFs > p.TotalVFs {
		return nil, fmt.Errorf("numVFs %d outside 0..%d of profile %s", numVFs, p.TotalVFs, p.Name)
	}
	t, err := lookTools()
	if err != nil {
		return nil, err
	}
	idb := make([]byte, 3)
	swb := make([]byte, 8)
	if _, err := rand.Read(idb); err != nil {
		return nil, err
	}
	if _, err := rand.Read(swb); err != nil {
		return nil, err
	}
	n := &NIC{Profile: p, NodeNS: nodeNS, ID: hex.EncodeToString(idb), PFPCI: p.PFPCI,
		Uplink: p.Uplink, PFNetdev: p.Uplink, SwitchID: hex.EncodeToString(swb),
		SysfsDir: filepath.Join(dir, "sysfs"), tools: t, nsh: -1, binds: binds}
	if p.PFHasOwnNetdev {
		n.PFNetdev = p.PFNetdev
	}
	n.nsh, err = netns.GetFromPath(nodeNS)
	if err != nil {
		return nil, fmt.Errorf("open node netns %s: %w", nodeNS, err)
	}
	n.h, err = netlink.NewHandleAt(n.nsh)
	if err != nil {
		n.nsh.Close()
		return nil, fmt.Errorf("netlink handle in %s: %w", nodeNS, err)
	}
	// Subscribe before any link is made: the sysfs's view follows the
	// node's links from their notifications (see view).
	if err := n.view.open(n.nsh); err != nil {
		n.Close()
		return nil, fmt.Errorf("link view of %s: %w", nodeNS, err)
	}
	if err := n.createLinks(numVFs); err != nil {
		n.Close()
		return nil, err
	}
	if err := n.mount(); err != nil {
		n.Close()
		return nil, err
	}
	if err := n.openMntNS(); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *NIC) createLinks(numVFs int) error {
	p := n.Profile
	wire := "vfo" + n.ID + "w"
	if err := n.addPair(p.Uplink, roleUp, n.mac(3, 0), wire, roleWire, n.mac(4, 0), true); err != nil {
		return err
	}
	if p.PFHasOwnNetdev {
		if err := n.addPair(p.PFNetdev, rolePF, n.mac(5, 0), "vfo"+n.ID+"p", rolePFX, n.mac(6, 0), true); err != nil {
			return err
		}
	}
	return n.addVFs(numVFs)
}

// addPair creates a veth pair in the node netns and tags both ends.
func (n *NIC) addPair(name, role string, mac net.HardwareAddr, peer, peerRole string, peerMAC net.HardwareAddr, up bool) error {
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: mac}, PeerName: peer, PeerHardwareAddr: peerMAC}
	if err := n.h.LinkAdd(v); err != nil {
		return fmt.Errorf("create veth %s/%s: %w", name, peer, err)
	}
	for _, e := range [][2]string{{name, role}, {peer, peerRole}} {
		l, err := n.h.LinkByName(e[0])
		if err != nil {
			return fmt.Errorf("find %s: %w", e[0], err)
		}
		if err := n.h.LinkAddAltName(l, n.alt(e[1])); err != nil {
			return fmt.Errorf("altname %s on %s: %w", n.alt(e[1]), e[0], err)
		}
		n.view.reread(l.Attrs().Index) // no notification if down
		if up {
			if err := n.h.LinkSetUp(l); err != nil {
				return fmt.Errorf("set %s up: %w", e[0], err)
			}
		}
	}
	return nil
}

// CurrentVFs returns a copy of VFs, read under the NIC's lock.
func (n *NIC) CurrentVFs() []VF {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]VF(nil), n.VFs...)
}

// VFByPCI returns the VF with the given PCI address.
func (n *NIC) VFByPCI(pci string) (VF, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, v := range n.VFs {
		if v.PCI == pci {
			return v, true
		}
	}
	return VF{}, false
}

// Close frees the bed's mount namespace, unmounts the sysfs and deletes
// every link Start made, wherever it is now (node netns, or any netns
// under /run/netns). Idempotent.
func (n *NIC) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	var errs []error
	n.closeMntNS() // before the unmount: frees the bind mounts of the tree
	if err := n.unmount(); err != nil {
		errs = append(errs, err)
	}
	if n.h != nil {
		n.deleteTagged(n.h)
		n.h.Close()
		n.h = nil
	}
	n.view.close()
	if n.nsh >= 0 {
		n.nsh.Close()
	}
	// VF ends left in other netns whose peer was moved out of the node ns.
	paths, _ := filepath.Glob("/run/netns/*")
	for _, p := range paths {
		ns, err := netns.GetFromPath(p)
		if err != nil {
			continue
		}
		if h, err := netlink.NewHandleAt(ns); err == nil {
			n.deleteTagged(h)
			h.Close()
		}
		ns.Close()
	}
	return errors.Join(errs...)
}

// deleteTagged deletes every link carrying this NIC's altname prefix.
func (n *NIC) deleteTagged(h *netlink.Handle) {
	links, err := h.LinkList()
	if err != nil {
		return
	}
	for _, l := range links {
		if n.role(l) != "" {
			_ = h.LinkDel(l) // the peer may already be gone with its partner
		}
	}
}

func lookTools() (tools, error) {
	var t tools
	for _, e := range []struct {
		name string
		dst  *string
	}{{"nsenter", &t.nsenter}, {"unshare", &t.unshare}, {"mount", &t.mount}, {"umount", &t.umount}, {"cat", &t.cat}, {"sh", &t.sh}} {
		p, err := lookPath(e.name)
		if err != nil {
			return t, err
		}
		*e.dst = p
	}
	return t, nil
}

func lookPath(name string) (string, error) {
	for _, d := range append(filepath.SplitList(os.Getenv("PATH")), "/usr/bin", "/bin", "/usr/sbin", "/sbin") {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 && filepath.IsAbs(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH", name)
}

// SysfsRequests is the number of FUSE requests (lookups, reads, readlinks,
// directory listings) the emulated sysfs has served: what a sysfs walk
// costs, as a test can count it.
func (n *NIC) SysfsRequests() int64 { return n.requests.Load() }

// SysfsDumps is the number of full link dumps of the node netns the
// emulated sysfs has made to answer them.
func (n *NIC) SysfsDumps() int64 { return n.view.dumps.Load() }
