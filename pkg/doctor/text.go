package doctor

import (
	"fmt"
	"io"
	"strings"
)

// WriteText renders the report for a person.
func (r Report) WriteText(w io.Writer) {
	n := r.Node
	if n.Source == sourceRecorded {
		fmt.Fprintln(w, "Node (recorded outputs: nothing was read from this machine)")
		for _, in := range n.Inputs {
			fmt.Fprintf(w, "  input: %s\n", in)
		}
	} else {
		fmt.Fprintf(w, "Node\n  OVSDB %s: reachable=%v\n", n.OVSDB, n.OVSDBReachable)
	}
	fmt.Fprintf(w, "  bridge %s: datapath_type=%q\n", n.Bridge, n.DatapathType)
	fmt.Fprintf(w, "  other_config: hw-offload=%q tc-policy=%q\n", n.HWOffload, n.TCPolicy)
	fmt.Fprintf(w, "  datapath flows with hash/dp_hash actions (OVN load balancing; OVS cannot offload them to TC): %d\n", n.LBFlows)
	switch {
	case n.Source == sourceRecorded:
		fmt.Fprintln(w, "  uplinks: not recorded")
	case len(n.Uplinks) == 0:
		fmt.Fprintln(w, "  uplinks: none in switchdev mode found")
	}
	for _, u := range n.Uplinks {
		fmt.Fprintf(w, "  uplink %s (%s): driver=%s firmware=%q eswitch=%s hw-tc-offload=%s VFs total=%d created=%d in use by pods=%d\n",
			u.Netdev, u.PCI, u.Driver, u.Firmware, u.Eswitch, u.HWTCOffload, u.VFsTotal, u.VFsCreated, u.VFsInUse)
	}
	for _, p := range n.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	if len(r.Pods) == 0 {
		fmt.Fprintln(w, "Pods\n  no vf-offload attachment found")
	}
	for _, p := range r.Pods {
		p.writeText(w)
	}
}

func (p Pod) writeText(w io.Writer) {
	switch {
	case p.Container != "":
		fmt.Fprintf(w, "Pod %s (container %.12s, %s)\n  VF %s, representor/port %s, ofport %d\n",
			p.Pod, p.Container, p.IfName, p.VF, p.Representor, p.Ofport)
	case p.Pod != "":
		fmt.Fprintf(w, "Port %s (pod %s; not a vf-offload attachment), ofport %d\n", p.Representor, p.Pod, p.Ofport)
	default:
		fmt.Fprintf(w, "Port %s\n", p.Representor)
	}
	for _, f := range p.Flows {
		to := f.Outputs
		if to == "" {
			to = "actions:" + f.Actions
			if len(to) > 56 {
				to = to[:56] + "..."
			}
		}
		fmt.Fprintf(w, "  flow in_port(%s) -> %s: offloaded:%s dp:%s packets:%d bytes:%d\n", f.InPort, to, f.Offloaded, f.DP, f.Packets, f.Bytes)
	}
	switch {
	case p.TCSource == "":
		fmt.Fprintln(w, "  tc filters: not read")
	default:
		fmt.Fprintf(w, "  tc filters on ingress (from %s): %d\n", p.TCSource, len(p.TCFilters))
	}
	for _, f := range p.TCFilters {
		where, flags := "software only", strings.Join(f.Flags, " ")
		if f.InHardware {
			where = "hardware"
		}
		if flags == "" {
			flags = "no hardware flags"
		}
		fmt.Fprintf(w, "    %s pref %d %s chain %d handle %s: %s -> %s, packets:%d hw_packets:%d actions:%s\n",
			f.Protocol, f.Pref, f.Kind, f.Chain, f.Handle, flags, where, f.Packets, f.HWPackets, strings.Join(f.Actions, ","))
	}
	for _, pr := range p.Problems {
		fmt.Fprintf(w, "  problem: %s\n", pr)
	}
	fmt.Fprintf(w, "  verdict: %s\n", p.Reason) // the reason starts with the verdict
}
