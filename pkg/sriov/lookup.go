// Package sriov finds, for a VF's PCI address, everything vf-offload needs on
// a switchdev NIC: the VF's index and netdev, its PF, the uplink and the VF
// representor. It reads sysfs itself where a few reads answer (fast.go, each
// answer checked against the kernel's own attribute) and through sriovnet
// otherwise.
package sriov

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/k8snetworkplumbingwg/sriovnet"
)

// ErrNotVF means the PCI device exists but is not an SR-IOV VF.
var ErrNotVF = errors.New("not an SR-IOV VF")

// ErrNoRepresentor means the PF has no VF representors: it is not in
// switchdev mode, or its driver does not offer representors.
var ErrNoRepresentor = errors.New("no VF representor (is the PF in switchdev mode?)")

// Device is one VF as the host sees it now.
type Device struct {
	PCI    string // VF PCI address
	PFPCI  string
	Index  int    // VF index on its PF
	Netdev string // VF netdev in the current netns; "" while it is elsewhere
	Uplink string // uplink representor (phys_port_name pN)
	Rep    string // VF representor, current name

	pfNetdevs  []string // the PF's netdevs when Lookup listed them
	repPort    string   // Rep's phys_port_name once read; see RepPort
	uplinkPort string   // Uplink's phys_port_name once read; see UplinkPort
	nodeName   *string  // RepNodeName once worked out
}

// Lookup resolves pci, which must already be a validated PCI address.
// hints are names the representor may carry now (e.g. the port name an ADD
// gave it); they are checked, not trusted.
func Lookup(pci string, hints ...string) (*Device, error) {
	pf, err := sriovnet.GetPfPciFromVfPci(pci)
	if err != nil {
		if _, serr := os.Stat(filepath.Join(PCIDevices, pci)); serr != nil {
			return nil, fmt.Errorf("PCI device %s: %w", pci, serr)
		}
		return nil, fmt.Errorf("PCI device %s: %w", pci, ErrNotVF)
	}
	if sriovnet.IsVfPciVfioBound(pci) {
		return nil, fmt.Errorf("VF %s is bound to vfio-pci and has no netdev to move", pci)
	}
	d := &Device{PCI: pci, PFPCI: pf}
	var ok bool
	// A hinted representor gives the index too (its phys_port_name), which
	// saves the reads indexFromRID makes.
	if d.Rep, d.repPort, d.Index, ok = repFromHints(pf, pci, hints); !ok {
		if d.Index, ok = indexFromRID(pf, pci); !ok {
			if d.Index, err = sriovnet.GetVfIndexByPciAddress(pci); err != nil {
				return nil, fmt.Errorf("VF %s: index on PF %s: %w", pci, pf, err)
			}
		}
	}
	d.Netdev = Netdev(pci)
	d.pfNetdevs = pfNetdevs(pf)
	names := d.pfNetdevs
	if d.Uplink, d.uplinkPort, ok = uplinkByName(names); !ok {
		if d.Uplink, err = retry(func() (string, error) { return sriovnet.GetUplinkRepresentor(pci) }); err != nil {
			return nil, fmt.Errorf("VF %s on PF %s: uplink: %w: %w", pci, pf, ErrNoRepresentor, err)
		}
	}
	if d.Rep != "" {
		return d, nil
	}
	if d.Rep, d.repPort, ok = repByName(pf, names, d.Index); !ok {
		if d.Rep, err = retry(func() (string, error) { return sriovnet.GetVfRepresentor(d.Uplink, d.Index) }); err != nil {
			return nil, fmt.Errorf("VF %s (index %d on %s): %w: %w", pci, d.Index, d.Uplink, ErrNoRepresentor, err)
		}
	}
	return d, nil
}

// retry runs a sriovnet lookup again when it failed because a netdev it had
// just listed was renamed or moved before it looked at it: sriovnet lists
// the PF's net/ directory and then stats each entry, and other pods' ADDs
// rename their representors concurrently. A real "not found" stays one.
func retry(fn func() (string, error)) (string, error) {
	var s string
	var err error
	for i := 0; i < 30; i++ {
		if s, err = fn(); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return s, err
		}
		time.Sleep(time.Duration(1+rand.IntN(10*min(i+1, 5))) * time.Millisecond)
	}
	return s, err
}

// Netdev returns the VF's netdev in the current netns, "" when it has none
// here: the one entry of its net/ directory (one directory read, where
// sriovnet.GetNetDevicesFromPci also stats the directory and each entry).
func Netdev(pci string) string {
	entries, err := os.ReadDir(filepath.Join(PCIDevices, pci, "net"))
	if err != nil || len(entries) == 0 {
		return ""
	}
	return entries[0].Name()
}

// RepPort is the representor's phys_port_name (pf0vf3), read once.
func (d *Device) RepPort() string {
	if d.repPort == "" {
		d.repPort = PhysPortName(d.Rep)
	}
	return d.repPort
}

// UplinkPort is the uplink's phys_port_name (p0), read once.
func (d *Device) UplinkPort() string {
	if d.uplinkPort == "" {
		d.uplinkPort = PhysPortName(d.Uplink)
	}
	return d.uplinkPort
}

// PFNetdev picks the PF's own netdev, through which VF settings (the
// administrative MAC) are made: on nfp (flower) the one without a
// phys_port_name, on mlx5 the uplink itself. It looks among the PF's
// netdevs that Lookup listed, those named like neither a representor nor
// an uplink first (d's representor and those renamed to Kube-OVN's port
// names, <cid12>_h, are representors), so it usually reads one file.
func (d *Device) PFNetdev() string {
	for _, uplinkLike := range []bool{false, true} {
		for _, n := range d.pfNetdevs {
			if n == d.Rep || strings.HasSuffix(n, "_h") {
				continue
			}
			if !looksLikeRep(n) && looksLikeUplink(n) == uplinkLike && PhysPortName(n) == "" {
				return n
			}
		}
	}
	return d.Uplink
}

// PhysPortName returns a netdev's phys_port_name, "" when it has none.
func PhysPortName(netdev string) string {
	return attr(filepath.Join(ClassNet, netdev, "phys_port_name"))
}

// StableRepName is the name DEL gives a representor whose original name is
// unknown (Kube-OVN wired the VF itself and renamed it): "pf" + PF bus, device
// and function + "vf" + index, e.g. PF 0000:03:00.0 VF 2 -> "pf03000vf2"; a
// PF outside PCI domain 0000 gets "p" + domain + bus + device + function +
// "v" + index. Both fit the 15-byte netdev limit.
func StableRepName(pfPCI string, index int) string {
	var dom, bus, dev, fn string
	if p := strings.SplitN(pfPCI, ":", 3); len(p) == 3 {
		dom, bus = p[0], p[1]
		if q := strings.SplitN(p[2], ".", 2); len(q) == 2 {
			dev, fn = q[0], q[1]
		}
	}
	if dom == "0000" {
		return fmt.Sprintf("pf%s%s%svf%d", bus, dev, fn, index)
	}
	return fmt.Sprintf("p%s%s%s%sv%d", dom, bus, dev, fn, index)
}
