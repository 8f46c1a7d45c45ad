package hwoffload

import (
	"fmt"
	"strings"
)

// Level is how much of a representor's traffic the NIC handles.
type Level int

const (
	NotOffloaded Level = iota
	PartlyOffloaded
	Offloaded
)

func (l Level) String() string {
	switch l {
	case Offloaded:
		return "offloaded"
	case PartlyOffloaded:
		return "partly offloaded"
	}
	return "not offloaded"
}

// VerdictInput is what a doctor run collects for one representor.
type VerdictInput struct {
	HWOffload    bool   // Open_vSwitch other_config:hw-offload="true"
	TCPolicy     string // other_config:tc-policy: "none", "skip_sw", "skip_hw" or ""
	EswitchMode  string // uplink eswitch mode: "switchdev", "legacy", "" (unknown)
	HWTCOffload  string // ethtool -k hw-tc-offload: "on", "off" ("off [fixed]"), "" (unknown)
	DatapathType string // the bridge's datapath_type: "system" (or ""), "netdev"
	Representor  string
	Flows        []Flow     // FlowsFor(a full dump, without type=), so non-offloaded flows count
	Filters      []TCFilter // the TC filters on its ingress
}

// Result is the verdict: a level, the most likely reason, one line per flow
// and per filter.
type Result struct {
	Level  Level
	Reason string
	Lines  []string
}

// Verdict decides whether the representor's traffic is offloaded. The level
// comes from the evidence: the flows, and the TC filters (a filter in
// hardware is evidence of offload even when the flow dump says otherwise;
// with no flows, the filters alone decide). The reason is the first that
// applies of: userspace datapath, hw-offload off, tc-policy skip_hw, uplink
// not in switchdev mode, hw-tc-offload off, a flow action the NIC cannot do,
// TC filters none of which is in hardware, no traffic yet, else the counts.
func Verdict(in VerdictInput) Result {
	var r Result
	for _, f := range in.Flows {
		r.Lines = append(r.Lines, flowLine(f))
	}
	for _, f := range in.Filters {
		r.Lines = append(r.Lines, filterLine(f))
	}
	fl, ft := tallyFlows(in.Flows), tallyFilters(in.Filters)
	switch {
	case fl.total > 0 && fl.hw == fl.total, fl.total == 0 && ft.total > 0 && ft.hw == ft.total:
		r.Level = Offloaded
	case fl.hw > 0 || fl.partial > 0 || ft.hw > 0:
		r.Level = PartlyOffloaded
	}
	cause := ""
	if r.Level != Offloaded {
		cause = blocker(in, ft)
	}
	switch {
	case cause != "":
	case fl.total == 0 && ft.total == 0:
		cause = fmt.Sprintf("no traffic yet (no datapath flows or TC filters for %s)", in.Representor)
	default:
		cause = counts(fl, ft)
	}
	r.Reason = r.Level.String() + ": " + cause
	return r
}

// blocker returns the first node setting, flow action or filter state that
// keeps flows out of hardware, "" if none.
func blocker(in VerdictInput, ft filterTally) string {
	switch {
	case in.DatapathType == "netdev":
		return "userspace datapath (bridge datapath_type=netdev); only the kernel datapath offloads to TC"
	case !in.HWOffload:
		return `other_config:hw-offload is not "true" (set it and restart ovs-vswitchd)`
	case in.TCPolicy == "skip_hw":
		return "other_config:tc-policy=skip_hw keeps TC flows out of hardware"
	case in.EswitchMode != "" && in.EswitchMode != "switchdev":
		return fmt.Sprintf("uplink eswitch mode is %s, not switchdev", in.EswitchMode)
	case strings.HasPrefix(in.HWTCOffload, "off"):
		return "hw-tc-offload is off (ethtool -K <dev> hw-tc-offload on)"
	}
	for _, f := range in.Flows {
		if f.Offloaded != "yes" && len(f.Unsupported) > 0 {
			return fmt.Sprintf("flow action %s cannot be offloaded by the NIC: %s",
				short(f.Unsupported[0], 48), why(f.Unsupported[0]))
		}
	}
	return filterBlocker(in.Representor, ft)
}

func why(u string) string {
	switch {
	case containsCall(u, "hash") || strings.HasPrefix(u, "dp_hash("):
		return "OVN load balancing (ENABLE_LB) picks backends by hash/dp_hash"
	case containsCall(u, "sample"):
		return "sFlow/IPFIX sampling"
	}
	return "the packets go up to ovs-vswitchd (slow path)"
}

func flowLine(f Flow) string {
	state := "in the OVS datapath (dp:" + f.DP + ")"
	switch {
	case f.Offloaded == "yes":
		state = "in hardware (dp:" + f.DP + ")"
	case f.Offloaded == "partial":
		state = "partly offloaded (dp:" + f.DP + ")"
	case f.DP == "tc":
		state = "in TC software only (dp:tc, not in hardware)"
	}
	id := "flow"
	if f.UFID != "" {
		id = "ufid:" + short(f.UFID, 8)
	}
	s := fmt.Sprintf("%s in_port(%s) actions:%s: %s, %d packets", id, f.InPort, short(f.Actions, 48), state, f.Packets)
	if len(f.Unsupported) > 0 {
		s += "; cannot offload: " + short(strings.Join(f.Unsupported, ", "), 64)
	}
	return s
}

func filterLine(f TCFilter) string {
	state := "hardware state not reported"
	switch {
	case f.InHardware() && f.InHWCount > 0:
		state = fmt.Sprintf("in hardware (in_hw, in_hw_count %d)", f.InHWCount)
	case f.InHardware():
		state = "in hardware (in_hw)"
	case f.NotInHW:
		state = "in software only (not_in_hw)"
	}
	if f.SkipHW {
		state += ", skip_hw"
	}
	if f.SkipSW {
		state += ", skip_sw"
	}
	_, pkts, hwPkts := f.Stats()
	return fmt.Sprintf("tc %s pref %d %s chain %d handle %s: %s, %d packets (%d in hardware)",
		f.Protocol, f.Pref, f.Kind, f.Chain, f.Handle, state, pkts, hwPkts)
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
