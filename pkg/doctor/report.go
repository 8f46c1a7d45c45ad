// Package doctor implements `vf-offload doctor`: it gathers the node's
// offload setup (OVSDB, uplinks, datapath flows) and, per pod attachment,
// its VF, representor, port, flows and a verdict from package hwoffload,
// and prints them as text or JSON.
package doctor

// Report is the doctor's whole answer; it is also its --json output.
type Report struct {
	Node Node  `json:"node"`
	Pods []Pod `json:"pods"`
}

// Node is the node-wide offload setup.
type Node struct {
	// Source is "live" (read from this node) or "recorded" (--flows-file:
	// nothing read from the machine doctor runs on).
	Source         string   `json:"source"`
	Inputs         []string `json:"inputs,omitempty"` // the recorded files and settings used
	OVSDB          string   `json:"ovsdb"`
	OVSDBReachable bool     `json:"ovsdbReachable"`
	Bridge         string   `json:"bridge"`
	DatapathType   string   `json:"datapathType"`
	HWOffload      string   `json:"hwOffload"`
	TCPolicy       string   `json:"tcPolicy"`
	LBFlows        int      `json:"lbFlows"` // datapath flows with hash/dp_hash actions
	Uplinks        []Uplink `json:"uplinks"`
	Problems       []string `json:"problems,omitempty"`
}

// Uplink is one switchdev-capable uplink.
type Uplink struct {
	Netdev      string `json:"netdev"`
	PCI         string `json:"pci"`
	Driver      string `json:"driver"`
	Firmware    string `json:"firmware"`
	Eswitch     string `json:"eswitch"`     // switchdev, legacy, or unknown
	HWTCOffload string `json:"hwTcOffload"` // on, off, or unknown
	VFsTotal    int    `json:"vfsTotal"`
	VFsCreated  int    `json:"vfsCreated"`
	VFsInUse    int    `json:"vfsInUse"`
}

// Pod is one attachment and its offload verdict.
type Pod struct {
	Pod         string     `json:"pod"`       // namespace/name from the port's external_ids
	Container   string     `json:"container"` // "" for a port that is not a vf-offload attachment
	IfName      string     `json:"ifname"`
	VF          string     `json:"vf"`
	Representor string     `json:"representor"`
	Ofport      int        `json:"ofport"`
	Flows       []Flow     `json:"flows"`
	TCFilters   []TCFilter `json:"tcFilters"`
	TCSource    string     `json:"tcSource"` // "kernel", a recorded file, or "" when not read
	Verdict     string     `json:"verdict"`
	Reason      string     `json:"reason"`
	Problems    []string   `json:"problems,omitempty"`
}

// TCFilter is one TC filter on the representor's ingress.
type TCFilter struct {
	Protocol   string   `json:"protocol"`
	Pref       uint32   `json:"pref"`
	Kind       string   `json:"kind"`
	Chain      uint32   `json:"chain"`
	Handle     string   `json:"handle"`
	Flags      []string `json:"flags"`      // skip_hw, skip_sw, in_hw, not_in_hw as the kernel reports them
	InHardware bool     `json:"inHardware"` // in_hw (or in_hw_count > 0)
	InHWCount  uint32   `json:"inHwCount"`
	Packets    uint64   `json:"packets"`   // first action's, software and hardware
	HWPackets  uint64   `json:"hwPackets"` // of which counted by the NIC
	Bytes      uint64   `json:"bytes"`
	Actions    []string `json:"actions"`
}

// Flow is one datapath flow through the representor.
type Flow struct {
	InPort    string `json:"inPort"`
	Outputs   string `json:"outputs"`
	Offloaded string `json:"offloaded"`
	DP        string `json:"dp"`
	Packets   uint64 `json:"packets"`
	Bytes     uint64 `json:"bytes"`
	Actions   string `json:"actions"`
}
