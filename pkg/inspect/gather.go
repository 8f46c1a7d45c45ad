package inspect

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vf-offload/vf-offload/pkg/doctor"
	"github.com/vf-offload/vf-offload/pkg/ovsdb"
	"github.com/vf-offload/vf-offload/pkg/state"
	"github.com/vf-offload/vf-offload/pkg/unixctl"
)

// Options say where to look and what to report on.
type Options struct {
	OVSDB    string // unix:/path or tcp:host:port
	Bridge   string
	StateDir string
	RunDir   string // ovs-vswitchd's run directory; default: the OVSDB socket's
	Pod      string // NAMESPACE/NAME: only this pod
	Port     string // only this bridge port
	Timeout  time.Duration
}

// Gather builds the report. It never changes anything on the node.
func Gather(ctx context.Context, o Options, log *slog.Logger) Report {
	r := Report{Node: Node{OVSDB: o.OVSDB, Bridge: o.Bridge}}
	atts, err := state.NewStore(o.StateDir).List()
	if err != nil {
		r.Node.Problems = append(r.Node.Problems, fmt.Sprintf("state in %s: %v", o.StateDir, err))
	}
	var names []string
	for _, a := range atts {
		names = append(names, a.Port)
	}
	if o.Port != "" && !slices.Contains(names, o.Port) {
		names = append(names, o.Port)
	}
	ovs, err := ovsdb.Dial(ctx, o.OVSDB, o.Timeout, log, o.Bridge, names...)
	if err != nil {
		r.Node.Problems = append(r.Node.Problems, err.Error())
		return r
	}
	defer ovs.Close()
	r.Node.OVSDBReachable = true
	oc, _ := ovs.OtherConfig()
	r.Node.HWOffload, r.Node.TCPolicy = oc["hw-offload"], oc["tc-policy"]
	if r.Node.DatapathType, err = ovs.DatapathType(); err != nil {
		r.Node.Problems = append(r.Node.Problems, err.Error())
	}
	flows, err := dumpFlows(ctx, o)
	if err != nil {
		r.Node.Problems = append(r.Node.Problems, err.Error())
	}
	for _, f := range flows {
		if slices.ContainsFunc(f.Unsupported, func(s string) bool { return strings.Contains(s, "hash") }) {
			r.Node.LBFlows++
		}
	}
	r.Node.Uplinks = uplinks(atts)
	for _, a := range atts {
		if p, ok := pod(a, ovs, flows, r.Node, o); ok {
			r.Pods = append(r.Pods, p)
		}
	}
	return r
}

func dumpFlows(ctx context.Context, o Options) ([]doctor.Flow, error) {
	rundir := o.RunDir
	if rundir == "" && strings.HasPrefix(o.OVSDB, "unix:") {
		rundir = filepath.Dir(strings.TrimPrefix(o.OVSDB, "unix:"))
	}
	sock, err := unixctl.Socket(rundir, "ovs-vswitchd")
	if err != nil {
		return nil, err
	}
	out, err := unixctl.Call(ctx, sock, o.Timeout, "dpctl/dump-flows", "-m")
	if err != nil {
		return nil, err
	}
	return doctor.ParseDpctlFlows(out)
}

func pod(a *state.Attachment, ovs *ovsdb.Client, flows []doctor.Flow, n Node, o Options) (Pod, bool) {
	p := Pod{Container: a.ContainerID, IfName: a.IfName, VF: a.PCI, Representor: a.Port}
	info, _ := ovs.Port(a.Port)
	ids := a.PortExternalIDs
	if info != nil {
		p.Ofport, ids = info.Ofport, info.ExternalIDs
	}
	p.Pod = ids["pod_namespace"] + "/" + ids["pod_name"]
	if (o.Pod != "" && o.Pod != p.Pod) || (o.Port != "" && o.Port != a.Port) {
		return p, false
	}
	in := doctor.VerdictInput{HWOffload: n.HWOffload == "true", TCPolicy: n.TCPolicy, DatapathType: n.DatapathType,
		Representor: a.Port, Flows: doctor.FlowsFor(flows, a.Port)}
	for _, u := range n.Uplinks {
		if u.PCI == a.PFPCI {
			in.EswitchMode, in.HWTCOffload = strings.TrimPrefix(u.Eswitch, "unknown"), strings.TrimPrefix(u.HWTCOffload, "unknown")
		}
	}
	v := doctor.Verdict(in)
	p.Verdict, p.Reason = v.Level.String(), v.Reason
	for _, f := range in.Flows {
		p.Flows = append(p.Flows, Flow{InPort: f.InPort, Outputs: strings.Join(f.Outputs, ","), Offloaded: f.Offloaded,
			DP: f.DP, Packets: f.Packets, Bytes: f.Bytes, Actions: f.Actions})
	}
	return p, true
}
