package doctor

import (
	"os"
	"path/filepath"

	"github.com/k8snetworkplumbingwg/sriovnet"
	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/sriov"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// uplinks lists the netdevs that are switchdev uplinks (a phys_switch_id and
// a phys_port_name pN), with driver, firmware, eswitch mode, hw-tc-offload
// and VF counts.
func uplinks(atts []*state.Attachment) []Uplink {
	ents, err := os.ReadDir(sriov.ClassNet)
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
		if !sriov.IsUplink(n) {
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
		u.VFsTotal, _ = sriov.ReadInt(filepath.Join(sriov.PCIDevices, u.PCI, "sriov_totalvfs"))
		u.VFsCreated, _ = sriov.ReadInt(filepath.Join(sriov.PCIDevices, u.PCI, "sriov_numvfs"))
		for _, a := range atts {
			if a.PFPCI == u.PCI {
				u.VFsInUse++
			}
		}
		out = append(out, u)
	}
	return out
}
