package nic

import "fmt"

// Profile describes one emulated NIC model: PCI ids, drivers, naming and
// which netdevs carry phys_port_name / phys_switch_id.
type Profile struct {
	Name string // "agilio" or "connectx5"

	Vendor   string // PCI vendor id as sysfs prints it, e.g. "0x19ee"
	PFDevice string // PF PCI device id, e.g. "0x4000"
	VFDevice string // VF PCI device id, e.g. "0x6003"
	PFDriver string // e.g. "nfp"
	VFDriver string // e.g. "nfp_netvf"
	Class    string // PCI class, e.g. "0x020000"

	TotalVFs int // sriov_totalvfs

	// PFHasOwnNetdev: the PF has a netdev of its own besides the uplink
	// representor (nfp flower: the PF vNIC). When false the PF netdev is
	// the uplink (mlx5).
	PFHasOwnNetdev bool
	// PFHasPortName: the PF's own netdev has a phys_port_name ("pf0");
	// only meaningful with PFHasOwnNetdev. False for nfp flower.
	PFHasPortName bool

	PFPCI string             // PF PCI address, e.g. "0000:03:00.0"
	VFPCI func(i int) string // PCI address of VF i

	PFNetdev  string             // PF's own netdev (PFHasOwnNetdev only)
	Uplink    string             // uplink representor, phys_port_name "p0"
	VFNetdev  func(i int) string // VF i's netdev name
	RepNetdev func(i int) string // VF i's representor, phys_port_name "pf0vf<i>"
}

// bdf formats PCI address 0000:03:<dev>.<fn> for function number k counted
// over consecutive device slots (8 functions per slot).
func bdf(bus, k int) string {
	return fmt.Sprintf("0000:%02x:%02x.%d", bus, k/8, k%8)
}

// systemdName is the predictable name systemd gives a function on bus 3.
func systemdName(k int) string {
	return fmt.Sprintf("enp3s%df%d", k/8, k%8)
}

// Agilio returns the Corigine/Netronome Agilio CX (nfp, flower firmware)
// profile: PF 19ee:4000 driver nfp, VFs 19ee:6003 driver nfp_netvf at
// 0000:03:08.0 onwards, a PF vNIC netdev without phys_port_name, the
// physical port representor (p0) and VF representors (pf0vfN).
func Agilio() Profile {
	return Profile{
		Name: "agilio", Vendor: "0x19ee", PFDevice: "0x4000", VFDevice: "0x6003",
		PFDriver: "nfp", VFDriver: "nfp_netvf", Class: "0x020000",
		TotalVFs:       65,
		PFHasOwnNetdev: true, PFHasPortName: false,
		PFPCI:     "0000:03:00.0",
		VFPCI:     func(i int) string { return bdf(3, 64+i) },
		PFNetdev:  "enp3s0",
		Uplink:    "enp3s0np0",
		VFNetdev:  func(i int) string { return systemdName(64 + i) },
		RepNetdev: func(i int) string { return fmt.Sprintf("enp3s0npf0vf%d", i) },
	}
}

// ConnectX5 returns the NVIDIA ConnectX-5 (mlx5_core, switchdev mode)
// profile: PF 15b3:1017 whose netdev is the uplink (p0), VFs 15b3:1018 at
// 0000:03:00.2 onwards, representors pf0vfN listed under the PF.
func ConnectX5() Profile {
	return Profile{
		Name: "connectx5", Vendor: "0x15b3", PFDevice: "0x1017", VFDevice: "0x1018",
		PFDriver: "mlx5_core", VFDriver: "mlx5_core", Class: "0x020000",
		TotalVFs:  16,
		PFPCI:     "0000:03:00.0",
		VFPCI:     func(i int) string { return bdf(3, 2+i) },
		Uplink:    "enp3s0f0np0",
		VFNetdev:  func(i int) string { return systemdName(2 + i) },
		RepNetdev: func(i int) string { return fmt.Sprintf("enp3s0f0_%d", i) },
	}
}
