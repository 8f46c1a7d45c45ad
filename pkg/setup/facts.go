package setup

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/k8snetworkplumbingwg/sriovnet"
	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/sriov"
)

// Gather reads the facts about PF netdev pf from sysfs, devlink, ethtool and
// netlink. Only a missing or non-SR-IOV PF stops it early; everything else
// it cannot read is left at its zero value (unknown) for the planner.
func Gather(pf string) Facts {
	f := Facts{PF: pf}
	if _, err := os.Stat(filepath.Join(sriov.ClassNet, pf)); err != nil {
		return f
	}
	f.Exists = true
	dev := filepath.Join(sriov.ClassNet, pf, "device")
	total, err := sriov.ReadInt(filepath.Join(dev, "sriov_totalvfs"))
	if err != nil {
		return f
	}
	f.SRIOV, f.TotalVFs = true, total
	f.NumVFs, _ = sriov.ReadInt(filepath.Join(dev, "sriov_numvfs"))
	if pci, err := sriovnet.GetPciFromNetDevice(pf); err == nil {
		f.PCI = pci
	} else if t, err := os.Readlink(dev); err == nil {
		f.PCI = filepath.Base(t)
	}
	f.Eswitch, f.EswitchErr = eswitchMode(f.PCI)
	et, err := ethtool.NewEthtool()
	if err == nil {
		defer et.Close()
		if di, err := et.DriverInfo(pf); err == nil {
			f.Driver, f.Firmware = di.Driver, di.FwVersion
		}
	}
	if up, err := sriovnet.GetUplinkRepresentor(f.PCI); err == nil {
		f.Uplink = up
		f.UplinkUp = linkUp(up)
	}
	if et != nil {
		f.HWTCOffload = hwTCOffload(et, orPF(f))
	}
	if f.Uplink != "" {
		for i := 0; i < f.NumVFs; i++ {
			r := Rep{Index: i}
			if name, err := sriovnet.GetVfRepresentor(f.Uplink, i); err == nil {
				r.Name, r.Up = name, linkUp(name)
			}
			f.Reps = append(f.Reps, r)
		}
	}
	return f
}

func eswitchMode(pci string) (mode, why string) {
	d, err := netlink.DevLinkGetDeviceByName("pci", pci)
	if err != nil {
		return EswitchNone, fmt.Sprintf("devlink pci/%s: %v", pci, err)
	}
	if d.Attrs.Eswitch.Mode == "" {
		return EswitchNone, fmt.Sprintf("devlink pci/%s reports no eswitch mode", pci)
	}
	return d.Attrs.Eswitch.Mode, ""
}

func hwTCOffload(et *ethtool.Ethtool, dev string) string {
	fs, err := et.FeaturesWithState(dev)
	if err != nil {
		return FeatureUnknown
	}
	s, ok := fs["hw-tc-offload"]
	switch {
	case !ok:
		return FeatureUnknown
	case s.Active:
		return FeatureOn
	case !s.Available:
		return FeatureFixed
	}
	return FeatureOff
}

func linkUp(name string) bool {
	l, err := netlink.LinkByName(name)
	return err == nil && l.Attrs().Flags&net.FlagUp != 0
}
