package nic

// Profile describes one emulated NIC model: PCI ids, drivers, naming and
// which netdevs carry phys_port_name / phys_switch_id.
type Profile struct {
	Name string // "agilio" or "connectx5"

	Vendor   string // PCI vendor id, e.g. "0x19ee"
	PFDevice string // PF PCI device id, e.g. "0x4000"
	VFDevice string // VF PCI device id, e.g. "0x6003"
	PFDriver string // e.g. "nfp"
	VFDriver string // e.g. "nfp_netvf"
	Class    string // PCI class, e.g. "0x020000"

	TotalVFs int // sriov_totalvfs

	// PFHasOwnNetdev: the PF has a netdev of its own besides the uplink
	// representor (nfp flower). When false the PF netdev is the uplink (mlx5).
	PFHasOwnNetdev bool
	// PFHasPortName: the PF's own netdev has phys_port_name (only used when
	// PFHasOwnNetdev).
	PFHasPortName bool

	// Bus is the PCI bus of the NIC ("0000:03").
	Bus string
	// PFPCI is the PF's PCI address; VFPCI returns VF i's PCI address.
	PFPCI string
	VFPCI func(i int) string

	// Netdev naming.
	PFNetdev  string             // nfp: PF's own netdev name
	Uplink    string             // uplink representor name (phys_port_name p0)
	VFNetdev  func(i int) string // VF netdev name
	RepNetdev func(i int) string // representor name (phys_port_name pf0vfN)
}
