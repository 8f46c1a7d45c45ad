package inspect

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/k8snetworkplumbingwg/sriovnet"
	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/state"
)

const (
	classNet   = "/sys/class/net"
	pciDevices = "/sys/bus/pci/devices"
)

var uplinkPortName = regexp.MustCompile(`^p\d+$`)

// uplinks lists the netdevs that are switchdev uplinks (a phys_switch_id and
// a phys_port_name pN), with driver, firmware, eswitch mode, hw-tc-offload
// and VF counts.
func uplinks(atts []*state.Attachment) []Uplink {
	ents, err := os.ReadDir(classNet)
	if err != nil {
		return nil
	}
	var out []Uplink
	et, _ := ethtool.NewEthtool()
	if et != nil {
		defer et.Close()
	}
	for _, e := range ents {
		n := e.Name()
		if read(filepath.Join(classNet, n, "phys_switch_id")) == "" || !uplinkPortName.MatchString(read(filepath.Join(classNet, n, "phys_port_name"))) {
			continue
		}
		u := Uplink{Netdev: n, Eswitch: "unknown", HWTCOffload: "unknown"}
		if pci, err := sriovnet.GetPciFromNetDevice(n); err == nil {
			u.PCI = pci
		}
		if et != nil {
			if di, err := et.DriverInfo(n); err == nil {
				u.Driver, u.Firmware = di.Driver, di.FwVersion
			}
			if f, err := et.Features(n); err == nil {
				if on, ok := f["hw-tc-offload"]; ok {
					u.HWTCOffload = map[bool]string{true: "on", false: "off"}[on]
				}
			}
		}
		if d, err := netlink.DevLinkGetDeviceByName("pci", u.PCI); err == nil && d.Attrs.Eswitch.Mode != "" {
			u.Eswitch = d.Attrs.Eswitch.Mode
		}
		u.VFsTotal = readInt(filepath.Join(pciDevices, u.PCI, "sriov_totalvfs"))
		u.VFsCreated = readInt(filepath.Join(pciDevices, u.PCI, "sriov_numvfs"))
		for _, a := range atts {
			if a.PFPCI == u.PCI {
				u.VFsInUse++
			}
		}
		out = append(out, u)
	}
	return out
}

func read(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func readInt(p string) int {
	n, _ := strconv.Atoi(read(p))
	return n
}
