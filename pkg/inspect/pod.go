package inspect

import (
	"fmt"
	"os"
	"strings"

	"github.com/vf-offload/vf-offload/pkg/doctor"
	"github.com/vf-offload/vf-offload/pkg/tcfilter"
)

// judge fills p's flows, filters and verdict from the node facts, the
// node's datapath flows and the representor's filters.
func judge(p *Pod, n Node, flows []doctor.Flow, filters []doctor.TCFilter, eswitch, hwtc string) {
	in := doctor.VerdictInput{HWOffload: n.HWOffload == "true", TCPolicy: n.TCPolicy, DatapathType: n.DatapathType,
		EswitchMode: eswitch, HWTCOffload: hwtc, Representor: p.Representor,
		Flows: doctor.FlowsFor(flows, p.Representor), Filters: filters}
	v := doctor.Verdict(in)
	p.Verdict, p.Reason = v.Level.String(), v.Reason
	for _, f := range in.Flows {
		p.Flows = append(p.Flows, Flow{InPort: f.InPort, Outputs: strings.Join(f.Outputs, ","), Offloaded: f.Offloaded,
			DP: f.DP, Packets: f.Packets, Bytes: f.Bytes, Actions: f.Actions})
	}
	for _, f := range filters {
		p.TCFilters = append(p.TCFilters, reportFilter(f))
	}
}

// reportFilter converts a parsed or kernel-read filter for the report.
func reportFilter(f doctor.TCFilter) TCFilter {
	r := TCFilter{Protocol: f.Protocol, Pref: f.Pref, Kind: f.Kind, Chain: f.Chain, Handle: f.Handle,
		InHardware: f.InHardware(), InHWCount: f.InHWCount, Flags: []string{}, Actions: []string{}}
	for _, fl := range []struct {
		set  bool
		name string
	}{{f.SkipHW, "skip_hw"}, {f.SkipSW, "skip_sw"}, {f.InHW, "in_hw"}, {f.NotInHW, "not_in_hw"}} {
		if fl.set {
			r.Flags = append(r.Flags, fl.name)
		}
	}
	r.Bytes, r.Packets, r.HWPackets = f.Stats()
	for _, a := range f.Actions {
		s := a.Kind
		if a.Device != "" {
			s += "(" + a.Device + ")"
		}
		r.Actions = append(r.Actions, s)
	}
	return r
}

// repFilters returns the representor's ingress filters and where they come
// from: the recorded file given for it, else (live only) the kernel.
func repFilters(rep string, files map[string]string, live bool) ([]doctor.TCFilter, string, error) {
	if file, ok := files[rep]; ok {
		f, err := readTCFile(file)
		return f, file, err
	}
	if !live {
		return nil, "", nil
	}
	f, err := tcfilter.Ingress(rep)
	return f, "kernel", err
}

func readTCFile(file string) ([]doctor.TCFilter, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tc filters: %w", err)
	}
	f, err := doctor.ParseTCFilters(string(b))
	if err != nil {
		return nil, fmt.Errorf("tc filters in %s: %w", file, err)
	}
	return f, nil
}

func readFlowsFile(file string) ([]doctor.Flow, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("datapath flows: %w", err)
	}
	f, err := doctor.ParseDpctlFlows(string(b))
	if err != nil {
		return nil, fmt.Errorf("datapath flows in %s: %w", file, err)
	}
	return f, nil
}
