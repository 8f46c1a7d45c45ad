package sriov

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Where the kernel shows PCI devices and network interfaces.
const (
	PCIDevices = "/sys/bus/pci/devices"
	ClassNet   = "/sys/class/net"
)

// uplinkPortName is the phys_port_name of an uplink: "p0", "p1", ... (a VF
// representor's is "pf0vf3", a PF representor's "pf0").
var uplinkPortName = regexp.MustCompile(`^p\d+$`)

// IsUplinkPortName tells whether ppn is an uplink's phys_port_name.
func IsUplinkPortName(ppn string) bool { return uplinkPortName.MatchString(ppn) }

// IsUplink tells whether netdev is a switchdev uplink: it has a
// phys_switch_id and an uplink's phys_port_name.
func IsUplink(netdev string) bool {
	return attr(filepath.Join(ClassNet, netdev, "phys_switch_id")) != "" && IsUplinkPortName(PhysPortName(netdev))
}

// readAttr reads a sysfs attribute in one read(2): the kernel hands an
// attribute over whole (at most a page) in the first read, so the size
// lookup and the read until EOF that os.ReadFile makes are not needed.
func readAttr(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, err := f.Read(buf)
	if err != nil && n == 0 {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return buf[:n], nil
}

// ReadInt reads a sysfs attribute that holds a decimal number.
func ReadInt(path string) (int, error) {
	b, err := readAttr(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// attr is a sysfs attribute's value without surrounding white space, "" when
// it cannot be read.
func attr(path string) string {
	b, err := readAttr(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
