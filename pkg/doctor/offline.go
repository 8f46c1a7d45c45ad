package doctor

import (
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/vf-offload/vf-offload/pkg/hwoffload"
)

// GatherRecorded builds the report from recorded outputs only: the flows in
// o.FlowsFile, the filters in o.TCFiles, o.OtherConfig and o.DatapathType.
// It reads nothing else from the machine it runs on. The ports reported are
// o.Ports, else the representors of o.TCFiles, else every port named in an
// in_port(...) of the flows.
func GatherRecorded(o Options) Report {
	n := Node{Source: sourceRecorded, Bridge: o.Bridge, DatapathType: o.DatapathType,
		HWOffload: o.OtherConfig["hw-offload"], TCPolicy: o.OtherConfig["tc-policy"]}
	r := Report{Node: n}
	flows, err := readRecorded(o.FlowsFile, "datapath flows", hwoffload.ParseDpctlFlows)
	if err != nil {
		r.Node.problem("%v", err)
	}
	r.Node.Inputs = append(r.Node.Inputs, fmt.Sprintf("datapath flows: %s (%d flows)", o.FlowsFile, len(flows)))
	reps := sortedKeys(o.TCFiles)
	for _, rep := range reps {
		r.Node.Inputs = append(r.Node.Inputs, fmt.Sprintf("tc filters of %s: %s", rep, o.TCFiles[rep]))
	}
	if o.OtherConfig == nil {
		r.Node.Inputs = append(r.Node.Inputs, "other_config: not given (hw-offload counts as off)")
	} else {
		r.Node.Inputs = append(r.Node.Inputs, "other_config: "+(&kvFlag{o.OtherConfig}).String())
	}
	r.Node.LBFlows = lbFlows(flows)
	ports := o.Ports
	if len(ports) == 0 {
		ports = reps
	}
	if len(ports) == 0 {
		for _, f := range flows {
			if _, err := strconv.Atoi(f.InPort); err != nil && f.InPort != "" && !slices.Contains(ports, f.InPort) {
				ports = append(ports, f.InPort)
			}
		}
	}
	for _, name := range ports {
		p := Pod{Representor: name}
		filters := p.readFilters(o.TCFiles, false)
		judge(&p, r.Node, flows, filters, "", "")
		r.Pods = append(r.Pods, p)
	}
	return r
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
