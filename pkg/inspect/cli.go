package inspect

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/vf-offload/vf-offload/pkg/config"
)

// Main runs `vf-offload doctor [flags]` and returns the exit code: 0 when
// the report was made (whatever it says), 2 on bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vf-offload doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{}
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.StringVar(&o.OVSDB, "ovsdb", config.DefaultOVSDB, "OVSDB endpoint")
	fs.StringVar(&o.Bridge, "bridge", config.DefaultBridge, "integration bridge")
	fs.StringVar(&o.StateDir, "state-dir", config.DefaultStateDir, "vf-offload stateDir")
	fs.StringVar(&o.RunDir, "ovs-rundir", "", "ovs-vswitchd run directory (default: the OVSDB socket's directory)")
	fs.StringVar(&o.Pod, "pod", "", "only the pod NAMESPACE/NAME")
	fs.StringVar(&o.Port, "port", "", "only the bridge port NAME")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "timeout of each OVS call")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r := Gather(context.Background(), o, log)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return 1
		}
		return 0
	}
	r.WriteText(stdout)
	return 0
}

// WriteText renders the report for a person.
func (r Report) WriteText(w io.Writer) {
	n := r.Node
	fmt.Fprintf(w, "Node\n  OVSDB %s: reachable=%v\n", n.OVSDB, n.OVSDBReachable)
	fmt.Fprintf(w, "  bridge %s: datapath_type=%q\n", n.Bridge, n.DatapathType)
	fmt.Fprintf(w, "  other_config: hw-offload=%q tc-policy=%q\n", n.HWOffload, n.TCPolicy)
	fmt.Fprintf(w, "  datapath flows with hash/dp_hash actions (OVN load balancing; not offloadable on Agilio): %d\n", n.LBFlows)
	if len(n.Uplinks) == 0 {
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
		fmt.Fprintf(w, "Pod %s (container %.12s, %s)\n  VF %s, representor/port %s, ofport %d\n",
			p.Pod, p.Container, p.IfName, p.VF, p.Representor, p.Ofport)
		for _, f := range p.Flows {
			fmt.Fprintf(w, "  flow in_port(%s) -> %s: offloaded:%s dp:%s packets:%d bytes:%d\n", f.InPort, f.Outputs, f.Offloaded, f.DP, f.Packets, f.Bytes)
		}
		fmt.Fprintf(w, "  verdict: %s — %s\n", p.Verdict, p.Reason)
	}
}
