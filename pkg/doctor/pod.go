package doctor

import (
	"fmt"
	"os"
	"strings"

	"github.com/vf-offload/vf-offload/pkg/hwoffload"
	"github.com/vf-offload/vf-offload/pkg/tcfilter"
)

// judge fills p's flows, filters and verdict from the node facts, the
// node's datapath flows and the representor's filters.
func judge(p *Pod, n Node, flows []hwoffload.Flow, filters []hwoffload.TCFilter, eswitch, hwtc string) {
	in := hwoffload.VerdictInput{HWOffload: n.HWOffload == "true", TCPolicy: n.TCPolicy, DatapathType: n.DatapathType,
		EswitchMode: eswitch, HWTCOffload: hwtc, Representor: p.Representor,
		Flows: hwoffload.FlowsFor(flows, p.Representor), Filters: filters}
	v := hwoffload.Verdict(in)
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
func reportFilter(f hwoffload.TCFilter) TCFilter {
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
func repFilters(rep string, files map[string]string, live bool) ([]hwoffload.TCFilter, string, error) {
	if file, ok := files[rep]; ok {
		f, err := readRecorded(file, "tc filters", hwoffload.ParseTCFilters)
		return f, file, err
	}
	if !live {
		return nil, "", nil
	}
	f, err := tcfilter.Ingress(rep)
	return f, "kernel", err
}

// readRecorded parses the recorded command output in file; what names it
// in errors ("tc filters", "datapath flows").
func readRecorded[T any](file, what string, parse func(string) ([]T, error)) ([]T, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", what, file, err)
	}
	return out, nil
}
