// Command vf-offload is a chained CNI plugin that swaps Kube-OVN's veth for an
// SR-IOV VF and attaches the VF's representor to br-int so OVS flows can be
// offloaded to a switchdev SmartNIC. Run by hand with a command (see
// `vf-offload help`), it reports whether offload works (doctor) or prepares
// a PF (setup-pf).
package main

import (
	"os"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/vf-offload/vf-offload/pkg/cli"
	"github.com/vf-offload/vf-offload/pkg/config"
	"github.com/vf-offload/vf-offload/pkg/doctor"
	"github.com/vf-offload/vf-offload/pkg/install"
	"github.com/vf-offload/vf-offload/pkg/offload"
	"github.com/vf-offload/vf-offload/pkg/setup"
)

func main() {
	// A runtime runs the plugin with CNI_COMMAND set; arguments, if any, are
	// then ignored, as every CNI plugin does.
	if len(os.Args) > 1 && os.Getenv("CNI_COMMAND") == "" {
		os.Exit(cli.Run(commands(), os.Args[1:], os.Stdout, os.Stderr))
	}
	if e := offload.RefuseOversizedEnv(); e != nil {
		_ = e.Print()
		os.Exit(1)
	}
	p := &offload.Plugin{Stderr: os.Stderr}
	skel.PluginMainFuncs(skel.CNIFuncs{Add: p.Add, Del: p.Del, Check: p.Check, Status: p.Status, GC: p.GC},
		version.PluginSupports(config.SupportedVersions()...), "vf-offload: SR-IOV VF offload for Kube-OVN")
}

func commands() []cli.Command {
	return []cli.Command{
		{Name: "doctor", Summary: "tell whether OVS flows are offloaded to the NIC, for the node and each pod", Main: doctor.Main},
		{Name: "setup-pf", Summary: "prepare a PF for offload: VFs, switchdev, hw-tc-offload, links up", Main: setup.Main},
		{Name: "install", Summary: "copy this binary into the host's CNI plugin directory (the DaemonSet's container)", Main: install.Main},
	}
}
