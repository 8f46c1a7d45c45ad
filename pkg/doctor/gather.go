package doctor

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vf-offload/vf-offload/pkg/hwoffload"
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
	Ports    []string
	Timeout  time.Duration

	// Recorded inputs. FlowsFile makes the run offline (see GatherRecorded);
	// TCFiles (representor -> `tc -s filter show` output) and OtherConfig
	// (nil when not given) replace the live reads they stand for.
	FlowsFile    string
	TCFiles      map[string]string
	OtherConfig  map[string]string
	DatapathType string // offline only
}

const (
	sourceLive     = "live"
	sourceRecorded = "recorded"
)

// Gather builds the report. It never changes anything on the node. With
// FlowsFile set it reads nothing live (GatherRecorded).
func Gather(ctx context.Context, o Options, log *slog.Logger) Report {
	if o.FlowsFile != "" {
		return GatherRecorded(o)
	}
	r := Report{Node: Node{Source: sourceLive, OVSDB: o.OVSDB, Bridge: o.Bridge}}
	atts, err := state.NewStore(o.StateDir).List()
	if err != nil {
		r.Node.problem("state in %s: %v", o.StateDir, err)
	}
	names := slices.Clone(o.Ports)
	for _, a := range atts {
		names = append(names, a.Port)
	}
	ovs, err := ovsdb.Dial(ctx, o.OVSDB, o.Timeout, log, o.Bridge, names...)
	if err != nil {
		r.Node.problem("%v", err)
		return r
	}
	defer ovs.Close()
	r.Node.OVSDBReachable = true
	oc := o.OtherConfig
	if oc == nil {
		oc, _ = ovs.OtherConfig()
	} else {
		r.Node.Inputs = append(r.Node.Inputs, "other_config from --ovs-other-config")
	}
	r.Node.HWOffload, r.Node.TCPolicy = oc["hw-offload"], oc["tc-policy"]
	if r.Node.DatapathType, err = ovs.DatapathType(); err != nil {
		r.Node.problem("%v", err)
	}
	flows, err := dumpFlows(ctx, o)
	if err != nil {
		r.Node.problem("%v", err)
	}
	r.Node.LBFlows = lbFlows(flows)
	r.Node.Uplinks = uplinks(atts)
	seen := map[string]bool{}
	for _, a := range atts {
		if p, ok := attachment(a, ovs, flows, r.Node, o); ok {
			r.Pods = append(r.Pods, p)
			seen[a.Port] = true
		}
	}
	for _, name := range o.Ports {
		if !seen[name] {
			r.Pods = append(r.Pods, otherPort(name, ovs, flows, r.Node, o))
			seen[name] = true
		}
	}
	return r
}

func (n *Node) problem(format string, args ...any) {
	n.Problems = append(n.Problems, fmt.Sprintf(format, args...))
}

// lbFlows counts the flows with OVN load balancing (hash/dp_hash) actions.
func lbFlows(flows []hwoffload.Flow) int {
	n := 0
	for _, f := range flows {
		if slices.ContainsFunc(f.Unsupported, func(s string) bool { return strings.Contains(s, "hash") }) {
			n++
		}
	}
	return n
}

func dumpFlows(ctx context.Context, o Options) ([]hwoffload.Flow, error) {
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
	return hwoffload.ParseDpctlFlows(out)
}

// attachment reports on one vf-offload attachment, unless --pod or --port
// leave it out.
func attachment(a *state.Attachment, ovs *ovsdb.Client, flows []hwoffload.Flow, n Node, o Options) (Pod, bool) {
	p := Pod{Container: a.ContainerID, IfName: a.IfName, VF: a.PCI, Representor: a.Port}
	info, _ := ovs.Port(a.Port)
	ids := a.PortExternalIDs
	if info != nil {
		p.Ofport, ids = info.Ofport, info.ExternalIDs
	}
	p.Pod = ids["pod_namespace"] + "/" + ids["pod_name"]
	if (o.Pod != "" && o.Pod != p.Pod) || (len(o.Ports) > 0 && !slices.Contains(o.Ports, a.Port)) {
		return p, false
	}
	var eswitch, hwtc string
	for _, u := range n.Uplinks {
		if u.PCI == a.PFPCI {
			eswitch, hwtc = strings.TrimPrefix(u.Eswitch, "unknown"), strings.TrimPrefix(u.HWTCOffload, "unknown")
		}
	}
	filters := p.readFilters(o.TCFiles, true)
	judge(&p, n, flows, filters, eswitch, hwtc)
	return p, true
}

// otherPort reports on a bridge port named with --port that is not a
// vf-offload attachment (Kube-OVN's own veth port, a port someone added).
func otherPort(name string, ovs *ovsdb.Client, flows []hwoffload.Flow, n Node, o Options) Pod {
	p := Pod{Representor: name}
	info, err := ovs.Port(name)
	switch {
	case err != nil:
		p.Problems = append(p.Problems, err.Error())
	case info == nil:
		p.Problems = append(p.Problems, fmt.Sprintf("no port %s in OVSDB", name))
	default:
		p.Ofport = info.Ofport
		if ns, pod := info.ExternalIDs["pod_namespace"], info.ExternalIDs["pod_name"]; pod != "" {
			p.Pod = ns + "/" + pod
		}
		if on, err := ovs.OnBridge(context.Background(), info); err != nil {
			p.Problems = append(p.Problems, err.Error())
		} else if !on {
			p.Problems = append(p.Problems, fmt.Sprintf("port %s is not on bridge %s", name, o.Bridge))
		}
	}
	filters := p.readFilters(o.TCFiles, true)
	judge(&p, n, flows, filters, "", "")
	return p
}

// readFilters reads the representor's filters, noting a failure as a
// problem of the pod.
func (p *Pod) readFilters(files map[string]string, live bool) []hwoffload.TCFilter {
	filters, source, err := repFilters(p.Representor, files, live)
	if err != nil {
		p.Problems = append(p.Problems, err.Error())
		return nil
	}
	p.TCSource = source
	return filters
}
