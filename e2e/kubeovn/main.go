// Command kube-ovn is a test-only stand-in for Kube-OVN's CNI plugin, used by
// the e2e test bed. It stands in for the real Kube-OVN because the real one
// needs a Kubernetes API server: Kube-OVN's CNI binary only forwards the
// request to its daemon, which reads the pod's IP and MAC from pod
// annotations and does the wiring. The stand-in takes IP and MAC from
// CNI_ARGS instead and wires the pod itself, following Kube-OVN's
// conventions: port names, the ovs-vsctl command and external_ids, the
// shape of the CNI result, and its own VF wiring when it gets a deviceID and
// "offload" is on.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// NetConf is the stand-in's configuration.
type NetConf struct {
	types.PluginConf
	Provider string `json:"provider"`
	OVSDB    string `json:"ovsdb"`
	Bridge   string `json:"bridge"`
	Gateway  string `json:"gateway"`
	MTU      int    `json:"mtu"`
	Offload  bool   `json:"offload"`
	DeviceID string `json:"deviceID"`
	PCIBusID string `json:"pciBusID"`
	// StdinLog, when set, gets one JSON line per invocation (test aid).
	StdinLog      string `json:"stdinLog"`
	RuntimeConfig struct {
		DeviceID string `json:"deviceID"`
	} `json:"runtimeConfig"`
}

// podArgs are the per-pod values Kube-OVN would read from pod annotations.
type podArgs struct {
	types.CommonArgs
	K8S_POD_NAME               types.UnmarshallableString //nolint:revive
	K8S_POD_NAMESPACE          types.UnmarshallableString //nolint:revive
	K8S_POD_INFRA_CONTAINER_ID types.UnmarshallableString //nolint:revive
	IP                         types.UnmarshallableString
	MAC                        types.UnmarshallableString
}

type request struct {
	conf   *NetConf
	args   *skel.CmdArgs
	pod    string
	ns     string
	ip     *net.IPNet
	mac    net.HardwareAddr
	gw     net.IP
	device string
}

func (r *request) offload() bool { return r.conf.Offload && r.device != "" }

func (r *request) ifaceID() string {
	if r.conf.Provider == "" || r.conf.Provider == "ovn" {
		return r.pod + "." + r.ns
	}
	return r.pod + "." + r.ns + "." + r.conf.Provider
}

func parse(args *skel.CmdArgs, needAddr bool) (*request, error) {
	conf := &NetConf{}
	if err := json.Unmarshal(args.StdinData, conf); err != nil {
		return nil, fmt.Errorf("parse netconf: %w", err)
	}
	logStdin(conf.StdinLog, args)
	if conf.Bridge == "" {
		conf.Bridge = "br-int"
	}
	if conf.MTU == 0 {
		conf.MTU = 1400
	}
	if conf.Gateway == "" {
		conf.Gateway = "10.16.0.1"
	}
	pa := &podArgs{}
	if err := types.LoadArgs(args.Args, pa); err != nil {
		return nil, fmt.Errorf("parse CNI_ARGS: %w", err)
	}
	r := &request{conf: conf, args: args, pod: string(pa.K8S_POD_NAME), ns: string(pa.K8S_POD_NAMESPACE),
		gw: net.ParseIP(conf.Gateway)}
	r.device = conf.RuntimeConfig.DeviceID
	if r.device == "" {
		r.device = conf.DeviceID
	}
	if r.device == "" {
		r.device = conf.PCIBusID
	}
	if r.pod == "" || r.ns == "" {
		return nil, fmt.Errorf("CNI_ARGS lacks K8S_POD_NAME or K8S_POD_NAMESPACE")
	}
	if !needAddr {
		return r, nil
	}
	ip, ipn, err := net.ParseCIDR(string(pa.IP))
	if err != nil {
		return nil, fmt.Errorf("CNI_ARGS IP %q: %w", pa.IP, err)
	}
	ipn.IP = ip
	r.ip = ipn
	if r.mac, err = net.ParseMAC(string(pa.MAC)); err != nil {
		return nil, fmt.Errorf("CNI_ARGS MAC %q: %w", pa.MAC, err)
	}
	if r.gw == nil {
		return nil, fmt.Errorf("bad gateway %q", conf.Gateway)
	}
	return r, nil
}

func logStdin(path string, args *skel.CmdArgs) {
	if path == "" {
		return
	}
	line, _ := json.Marshal(map[string]any{"time": time.Now().Format(time.RFC3339Nano),
		"command": os.Getenv("CNI_COMMAND"), "containerID": args.ContainerID,
		"ifname": args.IfName, "stdin": json.RawMessage(args.StdinData)})
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.Write(append(line, '\n'))
}

func cmdAdd(args *skel.CmdArgs) error {
	r, err := parse(args, true)
	if err != nil {
		return err
	}
	if r.offload() {
		err = r.addOffload()
	} else {
		err = r.addVeth()
	}
	if err != nil {
		return err
	}
	res, err := r.result()
	if err != nil {
		return err
	}
	return types.PrintResult(res, r.conf.CNIVersion)
}

func cmdDel(args *skel.CmdArgs) error {
	r, err := parse(args, false)
	if err != nil {
		return err
	}
	return r.del()
}

func cmdCheck(args *skel.CmdArgs) error {
	_, err := parse(args, false)
	return err
}

func main() {
	skel.PluginMainFuncs(skel.CNIFuncs{
		Add: cmdAdd, Del: cmdDel, Check: cmdCheck,
		GC:     func(*skel.CmdArgs) error { return nil },
		Status: func(*skel.CmdArgs) error { return nil },
	}, version.All, "kube-ovn stand-in (vf-offload e2e test bed)")
}
