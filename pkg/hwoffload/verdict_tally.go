package hwoffload

import (
	"fmt"
	"strings"
)

// flowTally counts a representor's flows by where they run.
type flowTally struct{ total, hw, partial, tcOnly, ovs int }

func tallyFlows(flows []Flow) flowTally {
	var t flowTally
	for _, f := range flows {
		t.total++
		switch {
		case f.Offloaded == "yes":
			t.hw++
		case f.Offloaded == "partial":
			t.partial++
		case f.DP == "tc":
			t.tcOnly++
		default:
			t.ovs++
		}
	}
	return t
}

// filterTally counts a representor's TC filters by their hardware flags.
type filterTally struct{ total, hw, skipHW int }

func tallyFilters(filters []TCFilter) filterTally {
	var t filterTally
	for _, f := range filters {
		t.total++
		if f.InHardware() {
			t.hw++
		}
		if f.SkipHW {
			t.skipHW++
		}
	}
	return t
}

// filterBlocker explains TC filters none of which is in hardware, "" when
// there are none or one is in hardware.
func filterBlocker(rep string, ft filterTally) string {
	switch {
	case ft.total == 0 || ft.hw > 0:
		return ""
	case ft.skipHW == ft.total:
		return fmt.Sprintf("every TC filter on %s has skip_hw, so none was offered to the NIC (OVS sets skip_hw only with tc-policy=skip_hw; otherwise something else added them)", rep)
	case ft.skipHW > 0:
		return fmt.Sprintf("none of the %d TC filters on %s is in hardware (not_in_hw; %d with skip_hw): the NIC driver did not take the others (see ovs-vswitchd.log and dmesg)", ft.total, rep, ft.skipHW)
	}
	return fmt.Sprintf("none of the %d TC filters on %s is in hardware (not_in_hw): the NIC driver did not take them (see ovs-vswitchd.log and dmesg)", ft.total, rep)
}

// counts says how many flows and filters are in hardware and where the
// others are.
func counts(fl flowTally, ft filterTally) string {
	var parts []string
	if fl.total > 0 {
		s := fmt.Sprintf("%d of %d flows in hardware", fl.hw, fl.total)
		for _, c := range []struct {
			n    int
			text string
		}{{fl.partial, "partly offloaded"}, {fl.tcOnly, "in TC software only"}, {fl.ovs, "in the OVS datapath"}} {
			if c.n > 0 {
				s += fmt.Sprintf(", %d %s", c.n, c.text)
			}
		}
		parts = append(parts, s)
	}
	if ft.total > 0 {
		s := fmt.Sprintf("%d of %d TC filters in hardware", ft.hw, ft.total)
		if ft.skipHW > 0 {
			s += fmt.Sprintf(", %d with skip_hw", ft.skipHW)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
