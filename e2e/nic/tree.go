package nic

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
)

// The sysfs tree is computed on every lookup from a netlink snapshot of the
// node netns, so names, moves and renames show at once.

type kind uint8

const (
	kDir kind = iota + 1
	kFile
	kLink
)

// ent is one entry of the virtual tree: a directory, a file with content,
// or a relative symlink.
type ent struct {
	kind    kind
	content string // kFile
	target  string // kLink
	rw      bool   // kFile that accepts writes (sriov_numvfs)
}

func dir() ent                     { return ent{kind: kDir} }
func file(s string) ent            { return ent{kind: kFile, content: s} }
func link(t string) ent            { return ent{kind: kLink, target: t} }
func filef(f string, a ...any) ent { return file(fmt.Sprintf(f, a...)) }

// netdevInfo is what the tree needs to know of one link in the node netns.
type netdevInfo struct {
	attrs    *netlink.LinkAttrs
	pci      string // "" for non-emulated / non-PCI links
	portName string // phys_port_name, "" when absent
	switchID string // phys_switch_id, "" when absent
}

// snapshot is the node netns as seen at one instant, with the VFs the
// emulated PF had then (sriov_numvfs writes change them).
type snapshot struct {
	byName map[string]*netdevInfo
	names  []string
	vfs    []VF
}

// build makes the snapshot of links with the VFs vfs; false if two links
// have one name (the view is then out of step with the kernel).
func (n *NIC) build(links map[int]*netlink.LinkAttrs, vfs []VF) (*snapshot, bool) {
	s := &snapshot{byName: make(map[string]*netdevInfo, len(links)), vfs: vfs}
	ok := true
	for _, a := range links {
		if _, dup := s.byName[a.Name]; dup {
			ok = false
			continue
		}
		d := &netdevInfo{attrs: a}
		n.classify(n.roleOf(a), vfs, d)
		s.byName[a.Name] = d
		s.names = append(s.names, a.Name)
	}
	sort.Strings(s.names)
	return s, ok
}

// classify fills the PCI device and phys_* attributes for an emulated role.
func (n *NIC) classify(role string, vfs []VF, d *netdevInfo) {
	p := n.Profile
	switch {
	case role == roleUp:
		d.pci, d.portName, d.switchID = n.PFPCI, "p0", n.SwitchID
	case role == rolePF:
		d.pci = n.PFPCI
		if p.PFHasPortName {
			d.portName = "pf0"
		}
	case strings.HasPrefix(role, roleRep):
		if i, ok := vfIndex(role, roleRep); ok && i < len(vfs) {
			d.pci, d.portName, d.switchID = n.PFPCI, "pf0vf"+strconv.Itoa(i), n.SwitchID
		}
	case strings.HasPrefix(role, roleVF):
		if i, ok := vfIndex(role, roleVF); ok && i < len(vfs) {
			d.pci = vfs[i].PCI
		}
	}
}

// pciDevs lists the emulated PCI devices.
func (n *NIC) pciDevs(s *snapshot) []string {
	out := []string{n.PFPCI}
	for _, v := range s.vfs {
		out = append(out, v.PCI)
	}
	return out
}

// vfByPCI is VFByPCI on the snapshot's VFs.
func (s *snapshot) vfByPCI(pci string) (VF, bool) {
	for _, v := range s.vfs {
		if v.PCI == pci {
			return v, true
		}
	}
	return VF{}, false
}

// children returns the entries of the directory at path, false if path is
// not a directory.
func (n *NIC) children(s *snapshot, path []string) (map[string]ent, bool) {
	switch {
	case len(path) == 0:
		return map[string]ent{"devices": dir(), "net": dir(), "drivers": dir()}, true
	case path[0] == "devices":
		return n.devicesDir(s, path[1:])
	case path[0] == "net":
		return n.classNetDir(s, path[1:])
	case path[0] == "drivers":
		return n.driversDir(s, path[1:])
	}
	return nil, false
}

// devicesDir serves /sys/bus/pci/devices.
func (n *NIC) devicesDir(s *snapshot, path []string) (map[string]ent, bool) {
	if len(path) == 0 {
		m := map[string]ent{}
		// keep the real PCI devices visible (relative links into /sys/devices)
		if des, err := os.ReadDir("/sys/bus/pci/devices"); err == nil {
			for _, de := range des {
				if t, err := os.Readlink("/sys/bus/pci/devices/" + de.Name()); err == nil {
					m[de.Name()] = link(t)
				}
			}
		}
		for _, pci := range n.pciDevs(s) {
			m[pci] = dir()
		}
		return m, true
	}
	pci := path[0]
	vfIdx := -1
	if pci != n.PFPCI {
		v, ok := s.vfByPCI(pci)
		if !ok {
			return nil, false
		}
		vfIdx = v.Index
	}
	if len(path) == 1 {
		return n.pciDeviceDir(s, pci, vfIdx), true
	}
	if path[1] != "net" {
		return nil, false
	}
	netdevs := map[string]ent{}
	for _, name := range s.names {
		if s.byName[name].pci == pci {
			netdevs[name] = dir()
		}
	}
	if len(path) == 2 {
		return netdevs, true
	}
	if len(path) == 3 {
		if _, ok := netdevs[path[2]]; ok {
			return netdevAttrs(s.byName[path[2]], 3), true
		}
	}
	return nil, false
}

func (n *NIC) pciDeviceDir(s *snapshot, pci string, vfIdx int) map[string]ent {
	p := n.Profile
	m := map[string]ent{
		"vendor": file(p.Vendor + "\n"), "class": file(p.Class + "\n"),
		"subsystem_vendor": file(p.Vendor + "\n"),
		"net":              dir(),
	}
	drv := p.PFDriver
	if vfIdx < 0 {
		m["device"] = file(p.PFDevice + "\n")
		m["sriov_totalvfs"] = filef("%d\n", p.TotalVFs)
		// First VF Offset and VF Stride, as the kernel shows them.
		vf0, _ := ridOf(p.VFPCI(0))
		vf1, _ := ridOf(p.VFPCI(1))
		pfRID, _ := ridOf(p.PFPCI)
		m["sriov_offset"] = filef("%d\n", vf0-pfRID)
		m["sriov_stride"] = filef("%d\n", vf1-vf0)
		m["sriov_numvfs"] = ent{kind: kFile, content: fmt.Sprintf("%d\n", len(s.vfs)), rw: true}
		for _, v := range s.vfs {
			m["virtfn"+strconv.Itoa(v.Index)] = link("../" + v.PCI)
		}
	} else {
		drv = p.VFDriver
		m["device"] = file(p.VFDevice + "\n")
		m["physfn"] = link("../" + n.PFPCI)
	}
	m["driver"] = link("../../../../bus/pci/drivers/" + drv)
	return m
}

// netdevAttrs is the attribute directory of a netdev; depth is how many
// levels below /sys/bus/pci/devices (3: <pci>/net/<name>) or /sys/class/net
// (1: <name>) it sits, for the subsystem link.
func netdevAttrs(d *netdevInfo, depth int) map[string]ent {
	a := d.attrs
	// The kernel sends IFLA_LINK only when iflink differs from ifindex.
	iflink := a.ParentIndex
	if iflink == 0 {
		iflink = a.Index
	}
	m := map[string]ent{
		"ifindex":   filef("%d\n", a.Index),
		"iflink":    filef("%d\n", iflink),
		"address":   file(a.HardwareAddr.String() + "\n"),
		"mtu":       filef("%d\n", a.MTU),
		"operstate": file(a.OperState.String() + "\n"),
		"ifalias":   file(a.Alias + "\n"),
		"type":      file("1\n"),
	}
	if depth == 3 {
		m["subsystem"] = link("../../../../../../class/net")
		m["device"] = link("../../../" + d.pci)
	} else {
		m["subsystem"] = link("../../../class/net")
	}
	if d.portName != "" {
		m["phys_port_name"] = file(d.portName + "\n")
	}
	if d.switchID != "" {
		m["phys_switch_id"] = file(d.switchID + "\n")
	}
	return m
}

// classNetDir serves /sys/class/net: every link in the node netns.
func (n *NIC) classNetDir(s *snapshot, path []string) (map[string]ent, bool) {
	if len(path) == 0 {
		m := map[string]ent{}
		for _, name := range s.names {
			if d := s.byName[name]; d.pci != "" {
				m[name] = link("../../bus/pci/devices/" + d.pci + "/net/" + name)
			} else {
				m[name] = dir()
			}
		}
		return m, true
	}
	if len(path) == 1 {
		if d, ok := s.byName[path[0]]; ok && d.pci == "" {
			return netdevAttrs(d, 1), true
		}
	}
	return nil, false
}

// driversDir serves /sys/bus/pci/drivers: the profile's drivers (with links
// to their devices) plus the names of the real drivers, as empty dirs.
func (n *NIC) driversDir(s *snapshot, path []string) (map[string]ent, bool) {
	p := n.Profile
	if len(path) == 0 {
		m := map[string]ent{p.PFDriver: dir(), p.VFDriver: dir()}
		if des, err := os.ReadDir("/sys/bus/pci/drivers"); err == nil {
			for _, de := range des {
				m[de.Name()] = dir()
			}
		}
		return m, true
	}
	if len(path) != 1 {
		return nil, false
	}
	m := map[string]ent{}
	dev := func(pci string) { m[pci] = link("../../../../bus/pci/devices/" + pci) }
	if path[0] == p.PFDriver {
		dev(n.PFPCI)
	}
	if path[0] == p.VFDriver {
		for _, v := range s.vfs {
			dev(v.PCI)
		}
	}
	return m, true
}

// lookup resolves the entry at path.
func (n *NIC) lookup(s *snapshot, path []string) (ent, bool) {
	if len(path) == 0 {
		return dir(), true
	}
	m, ok := n.children(s, path[:len(path)-1])
	if !ok {
		return ent{}, false
	}
	e, ok := m[path[len(path)-1]]
	if ok && path[len(path)-1] == "ifalias" && len(path) >= 3 {
		// not notified when set on a link that is down: read it now
		if d := s.byName[path[len(path)-2]]; d != nil {
			if a, fresh := n.view.alias(d); fresh {
				e = file(a + "\n")
			}
		}
	}
	return e, ok
}

// ridOf is a PCI address's routing ID: bus << 8 | device << 3 | function.
func ridOf(pci string) (int, error) {
	var dom, bus, dev, fn int
	if _, err := fmt.Sscanf(pci, "%04x:%02x:%02x.%d", &dom, &bus, &dev, &fn); err != nil {
		return 0, err
	}
	return bus<<8 | dev<<3 | fn, nil
}
