package doctor

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/vf-offload/vf-offload/pkg/cli"
	"github.com/vf-offload/vf-offload/pkg/config"
)

const usage = `usage: vf-offload doctor [flags]

Reports whether OVS flows are offloaded to the NIC, for the node and for each
vf-offload attachment (or the pods/ports named with --pod/--port). It only
reads: OVSDB, ovs-vswitchd's "dpctl/dump-flows -m" over its unixctl socket,
the representors' ingress TC filters over netlink, devlink, ethtool, sysfs
and vf-offload's stateDir. The exit code is 0 whenever a report was made,
whatever it says; 2 on bad usage.

Recorded outputs (a node you cannot run doctor on, a bug report):
  --flows-file FILE   the output of "ovs-appctl dpctl/dump-flows -m" saved on
                      the node. Doctor then runs offline: it reads nothing
                      from OVS, the kernel, sysfs or the stateDir of the
                      machine it runs on, only the files and settings given.
                      The ports reported are --port if given, else the
                      --tc-file names, else every in_port(NAME) in the flows.
                      Record it without type=: "type=offloaded" lists only
                      the flows in hardware.
  --tc-file REP=FILE  the output of "tc -s filter show dev REP ingress"
                      (repeatable). Also usable live: REP's filters are then
                      read from FILE instead of the kernel.
  --ovs-other-config hw-offload=true,tc-policy=none
                      Open_vSwitch other_config as on the node ("ovs-vsctl
                      get Open_vSwitch . other_config"); live, it replaces
                      what OVSDB says.
  --datapath-type system|netdev
                      the bridge's datapath_type on the recorded node
                      (offline only; default unknown).
Lines starting with "#" in the files are ignored, so a recording can say
where it comes from.
`

// Main runs `vf-offload doctor [flags]` and returns the exit code: 0 when
// the report was made (whatever it says), 2 on bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vf-offload doctor", flag.ContinueOnError)
	o := Options{TCFiles: map[string]string{}}
	var ports listFlag
	var otherConfig kvFlag
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.StringVar(&o.OVSDB, "ovsdb", config.DefaultOVSDB, "OVSDB endpoint")
	fs.StringVar(&o.Bridge, "bridge", config.DefaultBridge, "integration bridge")
	fs.StringVar(&o.StateDir, "state-dir", config.DefaultStateDir, "vf-offload stateDir")
	fs.StringVar(&o.RunDir, "ovs-rundir", "", "ovs-vswitchd run directory (default: the OVSDB socket's directory)")
	fs.StringVar(&o.Pod, "pod", "", "only the pod NAMESPACE/NAME")
	fs.Var(&ports, "port", "only the bridge port NAME (repeatable, or comma-separated); live, also a port vf-offload did not attach")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "timeout of each OVS call")
	fs.StringVar(&o.FlowsFile, "flows-file", "", "recorded `ovs-appctl dpctl/dump-flows -m` output: run offline (see above)")
	fs.Var(fileMapFlag(o.TCFiles), "tc-file", "REP=FILE: recorded `tc -s filter show dev REP ingress` output (repeatable)")
	fs.Var(&otherConfig, "ovs-other-config", "k=v,...: Open_vSwitch other_config (hw-offload, tc-policy) instead of OVSDB's")
	fs.StringVar(&o.DatapathType, "datapath-type", "", "with --flows-file: the recorded bridge's datapath_type (system or netdev)")
	if code, done := cli.Parse(fs, args, cli.Usage(fs, usage), stdout, stderr); done {
		return code
	}
	o.Ports, o.OtherConfig = ports, otherConfig.m
	switch {
	case fs.NArg() > 0:
		return cli.Fail(stderr, fs.Name(), fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case o.Pod != "" && o.FlowsFile != "":
		return cli.Fail(stderr, fs.Name(), "--pod needs the node's state; with --flows-file name the representors with --port")
	case o.DatapathType != "" && o.FlowsFile == "":
		return cli.Fail(stderr, fs.Name(), "--datapath-type needs --flows-file (live, OVSDB says)")
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
