package sriov

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// The fast paths below find a VF's index, uplink and representor with a
// constant number of sysfs reads, where sriovnet (without devlink, as on
// the test bed) reads a file of every netdev of the PF or of the netns.
// Each answer is checked against the kernel's own attribute
// (virtfn<i>, phys_port_name); when a guess does not check out, Lookup
// asks sriovnet.

var (
	vfPortName = regexp.MustCompile(`^pf(\d+)vf(\d+)$`)
	repNameEnd = regexp.MustCompile(`(?:vf|_)(\d+)$`)
)

// indexFromRID computes the VF's index from its routing ID and the PF's
// sriov_offset and sriov_stride (First VF Offset and VF Stride of the
// SR-IOV capability), and checks it against the PF's virtfn<i> link.
func indexFromRID(pf, vf string) (int, bool) {
	offset, err1 := ReadInt(filepath.Join(PCIDevices, pf, "sriov_offset"))
	stride, err2 := ReadInt(filepath.Join(PCIDevices, pf, "sriov_stride"))
	pfRID, ok3 := rid(pf)
	vfRID, ok4 := rid(vf)
	if err1 != nil || err2 != nil || !ok3 || !ok4 || stride <= 0 {
		return 0, false
	}
	d := vfRID - pfRID - offset
	if d < 0 || d%stride != 0 {
		return 0, false
	}
	i := d / stride
	l, err := os.Readlink(filepath.Join(PCIDevices, pf, "virtfn"+strconv.Itoa(i)))
	if err != nil || filepath.Base(l) != vf {
		return 0, false
	}
	return i, true
}

// rid is a PCI address's routing ID (bus << 8 | device << 3 | function);
// VFs of one PF share its domain.
func rid(pci string) (int, bool) {
	p := strings.Split(pci, ":")
	if len(p) != 3 {
		return 0, false
	}
	df := strings.Split(p[2], ".")
	if len(df) != 2 {
		return 0, false
	}
	bus, e1 := strconv.ParseUint(p[1], 16, 8)
	dev, e2 := strconv.ParseUint(df[0], 16, 5)
	fn, e3 := strconv.ParseUint(df[1], 8, 3)
	if e1 != nil || e2 != nil || e3 != nil {
		return 0, false
	}
	return int(bus)<<8 | int(dev)<<3 | int(fn), true
}

// pfNetdevs lists the netdevs whose parent is the PF: on switchdev NICs
// (nfp, mlx5) the uplink and the VF representors are among them.
func pfNetdevs(pf string) []string {
	entries, err := os.ReadDir(filepath.Join(PCIDevices, pf, "net"))
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// repFromHints finds the representor among hints (names it may carry now,
// e.g. the port name an ADD gave it): a netdev of PF pf whose
// phys_port_name is pf<N>vf<i>, where the PF's virtfn<i> is VF vf. It
// returns the name, that phys_port_name and the index i.
func repFromHints(pf, vf string, hints []string) (string, string, int, bool) {
	for _, n := range hints {
		if n == "" || parentPCI(n) != pf {
			continue
		}
		port, num := repPort(n)
		i, err := strconv.Atoi(num)
		if err != nil {
			continue
		}
		if l, err := os.Readlink(filepath.Join(PCIDevices, pf, "virtfn"+num)); err == nil && filepath.Base(l) == vf {
			return n, port, i, true
		}
	}
	return "", "", 0, false
}

// repPort reads netdev n's phys_port_name and returns it with the VF
// number it names (pf<N>vf<num>); num is "" when n is no VF representor.
func repPort(n string) (port, num string) {
	port = PhysPortName(n)
	if m := vfPortName.FindStringSubmatch(port); m != nil {
		return port, m[2]
	}
	return port, ""
}

// repByName finds VF index's representor among the PF's netdevs named
// like a representor with that index; it returns the name and its
// phys_port_name. A candidate counts only if its phys_port_name is
// pf<N>vf<index>.
func repByName(pf string, names []string, index int) (string, string, bool) {
	want := strconv.Itoa(index)
	for _, n := range names {
		if m := repNameEnd.FindStringSubmatch(n); m == nil || m[1] != want {
			continue
		}
		if port, num := repPort(n); num == want {
			return n, port, true
		}
	}
	return "", "", false
}

// parentPCI is the PCI address of a netdev's parent device, "" if none.
func parentPCI(netdev string) string {
	l, err := os.Readlink(filepath.Join(ClassNet, netdev, "device"))
	if err != nil {
		return ""
	}
	return filepath.Base(l)
}

// looksLikeRep tells the names udev and the drivers give representors
// ("...pf0vf3", "..._3").
func looksLikeRep(n string) bool { return repNameEnd.MatchString(n) }

// looksLikeUplink tells the names udev gives uplinks ("enp3s0np0",
// "ens1f0np0"): ending in "p<digits>".
func looksLikeUplink(n string) bool {
	i := strings.LastIndexByte(n, 'p')
	return !looksLikeRep(n) && i >= 0 && i < len(n)-1 && strings.Trim(n[i+1:], "0123456789") == ""
}

// uplinkByName finds the uplink (phys_port_name p<N>) among the names that
// look like one; it returns the name and its phys_port_name.
func uplinkByName(names []string) (string, string, bool) {
	for _, n := range names {
		if !looksLikeUplink(n) {
			continue
		}
		if port := PhysPortName(n); IsUplinkPortName(port) {
			return n, port, true
		}
	}
	return "", "", false
}
