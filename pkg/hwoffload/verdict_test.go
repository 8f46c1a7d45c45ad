package hwoffload

import (
	"strings"
	"testing"
)

const podRep = "5b45c61b307e_h" // pod A's representor in the guide and the constructed samples

func TestVerdict(t *testing.T) {
	guide := FlowsFor(mustFlows(t, "dpctl_guide_offloaded.txt"), podRep)
	netdev := FlowsFor(mustFlows(t, "dpctl_netdev_m.txt"), "repa")
	mixed := mustFlows(t, "dpctl_tc_mixed.txt")
	lb := FlowsFor(mustFlows(t, "dpctl_tc_lb.txt"), podRep)
	inHW := mustFilters(t, "tc_rep_in_hw.txt")
	mixedFilters := mustFilters(t, "tc_rep_mixed.txt")
	u32Filters := mustFilters(t, "tc_u32_veth_real.txt") // [0] skip_hw not_in_hw, [1] not_in_hw

	// The kernel-datapath flows of the mixed dump (what type=ovs shows).
	var kernelOnly []Flow
	for _, f := range FlowsFor(mixed, podRep) {
		if f.DP == "ovs" {
			kernelOnly = append(kernelOnly, f)
		}
	}
	// A node where everything is set up for offload.
	ok := VerdictInput{HWOffload: true, TCPolicy: "none", EswitchMode: "switchdev", HWTCOffload: "on", DatapathType: "system", Representor: podRep}
	with := func(change func(*VerdictInput)) VerdictInput {
		in := ok
		change(&in)
		return in
	}

	for _, tc := range []struct {
		name   string
		in     VerdictInput
		level  Level
		reason string // prefix of Result.Reason
		lines  int
	}{
		{"userspace datapath (real bed capture)",
			with(func(in *VerdictInput) { in.DatapathType, in.Representor, in.Flows = "netdev", "repa", netdev }),
			NotOffloaded, "not offloaded: userspace datapath", 8},
		{"hw-offload off",
			with(func(in *VerdictInput) { in.HWOffload, in.Flows = false, kernelOnly }),
			NotOffloaded, `not offloaded: other_config:hw-offload is not "true"`, 2},
		{"tc-policy skip_hw (filters only)",
			with(func(in *VerdictInput) { in.TCPolicy, in.Filters = "skip_hw", mixedFilters[2:] }),
			NotOffloaded, "not offloaded: other_config:tc-policy=skip_hw", 1},
		{"uplink in legacy mode",
			with(func(in *VerdictInput) { in.EswitchMode, in.Flows = "legacy", kernelOnly }),
			NotOffloaded, "not offloaded: uplink eswitch mode is legacy, not switchdev", 2},
		{"hw-tc-offload off",
			with(func(in *VerdictInput) { in.HWTCOffload, in.Flows = "off [fixed]", kernelOnly }),
			NotOffloaded, "not offloaded: hw-tc-offload is off", 2},
		{"OVN load balancer hash (ENABLE_LB)",
			with(func(in *VerdictInput) { in.Flows = lb }),
			PartlyOffloaded, "partly offloaded: flow action hash(l4(0)) cannot be offloaded by the NIC: OVN load balancing (ENABLE_LB)", 4},
		{"dp_hash match alone",
			with(func(in *VerdictInput) { in.Flows = lb[2:3] }),
			NotOffloaded, "not offloaded: flow action dp_hash(0x5c1e04a2/0xf) match cannot be offloaded by the NIC: OVN load balancing", 1},
		{"slow-path userspace action",
			with(func(in *VerdictInput) { in.Flows = FlowsFor(mixed, podRep) }),
			PartlyOffloaded, "partly offloaded: flow action userspace(pid=3520287328,controller(reason=1,don... cannot be offloaded by the NIC: the packets go up to ovs-vswitchd", 7},
		{"no traffic yet",
			ok,
			NotOffloaded, "not offloaded: no traffic yet (no datapath flows or TC filters for " + podRep + ")", 0},
		{"fully offloaded (guide sample + in_hw filters)",
			with(func(in *VerdictInput) { in.Flows, in.Filters = guide, inHW }),
			Offloaded, "offloaded: 2 of 2 flows in hardware", 4},
		{"counts: hardware, TC software only, kernel",
			with(func(in *VerdictInput) { in.Representor, in.Flows = "54235e5753b8_h", FlowsFor(mixed, "54235e5753b8_h") }),
			PartlyOffloaded, "partly offloaded: 1 of 3 flows in hardware, 1 in TC software only, 1 in the OVS datapath", 3},
		{"counts from TC filters when there are no flows",
			with(func(in *VerdictInput) { in.Filters = mixedFilters }),
			PartlyOffloaded, "partly offloaded: 1 of 3 TC filters in hardware", 3},
		{"evidence wins over a stale setting (hw-offload turned off, vswitchd not restarted)",
			with(func(in *VerdictInput) { in.HWOffload, in.Flows = false, guide }),
			Offloaded, "offloaded: 2 of 2 flows in hardware", 2},
		{"unknown eswitch mode and hw-tc-offload are not blamed",
			with(func(in *VerdictInput) { in.EswitchMode, in.HWTCOffload, in.Flows = "", "", kernelOnly[1:] }),
			NotOffloaded, "not offloaded: 0 of 1 flows in hardware, 1 in the OVS datapath", 1},
		{"TC filters all not_in_hw, no flows",
			with(func(in *VerdictInput) { in.Filters = mixedFilters[1:2] }),
			NotOffloaded, "not offloaded: none of the 1 TC filters on " + podRep + " is in hardware (not_in_hw): the NIC driver did not take them", 1},
		{"TC filters all skip_hw, tc-policy none",
			with(func(in *VerdictInput) { in.Filters = append(mixedFilters[2:], u32Filters...) }),
			NotOffloaded, "not offloaded: none of the 3 TC filters on " + podRep + " is in hardware (not_in_hw; 2 with skip_hw)", 3},
		{"TC filters every one skip_hw",
			with(func(in *VerdictInput) { in.Filters = []TCFilter{mixedFilters[2], u32Filters[0]} }),
			NotOffloaded, "not offloaded: every TC filter on " + podRep + " has skip_hw", 2},
		{"a filter in_hw is evidence when the flow dump has none in hardware",
			with(func(in *VerdictInput) { in.Flows, in.Filters = kernelOnly[1:], inHW[:1] }),
			PartlyOffloaded, "partly offloaded: 0 of 1 flows in hardware, 1 in the OVS datapath; 1 of 1 TC filters in hardware", 2},
		{"filters not in hardware do not blame flows that are",
			with(func(in *VerdictInput) { in.Flows, in.Filters = guide, mixedFilters[1:2] }),
			Offloaded, "offloaded: 2 of 2 flows in hardware; 0 of 1 TC filters in hardware", 3},
		{"the userspace datapath comes before the filters",
			with(func(in *VerdictInput) { in.DatapathType, in.Filters = "netdev", u32Filters }),
			NotOffloaded, "not offloaded: userspace datapath", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Verdict(tc.in)
			if r.Level != tc.level || !strings.HasPrefix(r.Reason, tc.reason) || len(r.Lines) != tc.lines {
				t.Errorf("got %v / %q / %d lines\nwant %v / %q... / %d lines\n%s",
					r.Level, r.Reason, len(r.Lines), tc.level, tc.reason, tc.lines, strings.Join(r.Lines, "\n"))
			}
		})
	}
}

func TestVerdictLines(t *testing.T) {
	in := VerdictInput{HWOffload: true, DatapathType: "system", Representor: podRep,
		Flows:   FlowsFor(mustFlows(t, "dpctl_tc_mixed.txt"), podRep),
		Filters: mustFilters(t, "tc_rep_mixed.txt")}
	r := Verdict(in)
	for i, want := range []string{
		"ufid:cdf906f2... in_port(5b45c61b307e_h) actions:54235e5753b8_h: in hardware (dp:tc), 120443 packets",
		"ufid:f2e0ad9f... in_port(5b45c61b307e_h) actions:ct(zone=5,nat),recirc(0x1e): in TC software only (dp:tc, not in hardware), 88 packets",
		"ufid:2cb8fed1... in_port(5b45c61b307e_h) actions:userspace(pid=3520287328,controller(reason=1,don...: in the OVS datapath (dp:ovs), 3 packets; cannot offload: userspace(pid=3520287328,controller(reason=1,dont_send=0,continu...",
		"tc ip pref 2 flower chain 0 handle 0x1: in hardware (in_hw, in_hw_count 1), 120443 packets (120443 in hardware)",
		"tc ip pref 4 flower chain 0 handle 0x1: in software only (not_in_hw), 88 packets (0 in hardware)",
		"tc ipv6 pref 5 flower chain 0 handle 0x1: in software only (not_in_hw), skip_hw, 1 packets (0 in hardware)",
	} {
		idx := []int{0, 3, 5, 7, 8, 9}[i]
		if r.Lines[idx] != want {
			t.Errorf("line %d:\n got %q\nwant %q", idx, r.Lines[idx], want)
		}
	}
	if Level(7).String() != "not offloaded" || Offloaded.String() != "offloaded" {
		t.Error("Level.String")
	}
}
