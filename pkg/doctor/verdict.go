package doctor

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
// comes from the evidence (flows, or the TC filters if there are no flows);
// the reason is the first that applies of: userspace datapath, hw-offload
// off, tc-policy skip_hw, uplink not in switchdev mode, hw-tc-offload off, a
// flow action the NIC cannot do, no traffic yet, else the counts.
func Verdict(in VerdictInput) Result {
	var r Result
	hw, partial, total := 0, 0, 0
	for _, f := range in.Flows {
		r.Lines = append(r.Lines, flowLine(f))
		total++
		switch {
		case f.Offloaded == "yes":
			hw++
		case f.Offloaded == "partial":
			partial++
		}
	}
	for _, f := range in.Filters {
		r.Lines = append(r.Lines, filterLine(f))
	}
	what := "flows"
	if total == 0 && len(in.Filters) > 0 {
		what = "TC filters"
		for _, f := range in.Filters {
			total++
			if f.InHardware() {
				hw++
			}
		}
	}
	switch {
	case total > 0 && hw == total:
		r.Level = Offloaded
	case hw > 0 || partial > 0:
		r.Level = PartlyOffloaded
	}
	cause := ""
	if r.Level != Offloaded {
		cause = blocker(in)
	}
	switch {
	case cause != "":
	case total == 0:
		cause = fmt.Sprintf("no traffic yet (no datapath flows or TC filters for %s)", in.Representor)
	default:
		cause = counts(in.Flows, what, hw, total)
	}
	r.Reason = r.Level.String() + ": " + cause
	return r
}

// blocker returns the first node setting or flow action that keeps flows out
// of hardware, "" if none.
func blocker(in VerdictInput) string {
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
	return ""
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

func counts(flows []Flow, what string, hw, total int) string {
	s := fmt.Sprintf("%d of %d %s in hardware", hw, total, what)
	var tcOnly, partial, ovs int
	for _, f := range flows {
		switch {
		case f.Offloaded == "yes":
		case f.Offloaded == "partial":
			partial++
		case f.DP == "tc":
			tcOnly++
		default:
			ovs++
		}
	}
	for _, c := range []struct {
		n    int
		text string
	}{{partial, "partly offloaded"}, {tcOnly, "in TC software only"}, {ovs, "in the OVS datapath"}} {
		if c.n > 0 {
			s += fmt.Sprintf(", %d %s", c.n, c.text)
		}
	}
	return s
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
	state := "not in hardware"
	if f.InHardware() {
		state = fmt.Sprintf("in hardware (in_hw_count %d)", f.InHWCount)
	}
	if f.SkipHW {
		state += ", skip_hw"
	}
	_, pkts, hwPkts := f.Stats()
	return fmt.Sprintf("tc %s pref %d chain %d handle %s: %s, %d packets (%d in hardware)",
		f.Protocol, f.Pref, f.Chain, f.Handle, state, pkts, hwPkts)
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
