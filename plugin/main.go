// Command vf-offload is a chained CNI plugin that swaps Kube-OVN's veth for an
// SR-IOV VF and attaches the VF's representor to br-int so OVS flows can be
// offloaded to a switchdev SmartNIC. Run by hand as `vf-offload doctor`, it
// reports whether offload really works on the node and for each pod.
package main

import (
	"os"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/vf-offload/vf-offload/pkg/config"
	"github.com/vf-offload/vf-offload/pkg/doctor"
	"github.com/vf-offload/vf-offload/pkg/offload"
	"github.com/vf-offload/vf-offload/pkg/setup"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "doctor" && os.Getenv("CNI_COMMAND") == "" {
		os.Exit(doctor.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "setup-pf" && os.Getenv("CNI_COMMAND") == "" {
		os.Exit(setup.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	if e := offload.RefuseOversizedEnv(); e != nil {
		_ = e.Print()
		os.Exit(1)
	}
	p := &offload.Plugin{Stderr: os.Stderr}
	skel.PluginMainFuncs(skel.CNIFuncs{Add: p.Add, Del: p.Del, Check: p.Check, Status: p.Status, GC: p.GC},
		version.PluginSupports(config.SupportedVersions()...), "vf-offload: SR-IOV VF offload for Kube-OVN")
}
