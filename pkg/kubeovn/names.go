// Package kubeovn holds Kube-OVN's naming of a pod interface's host-side
// port, which vf-offload adopts for the representor and the test bed's
// Kube-OVN stand-in uses to wire pods: the one place this convention is
// written down.
package kubeovn

import "strings"

// PortName returns Kube-OVN's host-side veth and port name for a
// container's interface (generateNicName in Kube-OVN's
// pkg/daemon/ovs_linux.go): eth0 -> cid[0:12]+"_h"; KubeVirt's 14-byte
// "pod..." names are shortened to ifname[3:10] first; otherwise
// cid[0:12-len(ifname)]+"_"+ifname+"_h". Where Kube-OVN would panic (short
// IDs, ifname over 12 bytes) it truncates instead; the result is <= 15 bytes.
func PortName(containerID, ifname string) string { return stem(containerID, ifname) + "_h" }

// PodVethName is the name Kube-OVN gives the pod end of its veth before
// it renames it to ifname in the pod: PortName with "_c" for "_h".
func PodVethName(containerID, ifname string) string { return stem(containerID, ifname) + "_c" }

func stem(containerID, ifname string) string {
	if ifname == "eth0" {
		return prefix(containerID, 12)
	}
	if strings.HasPrefix(ifname, "pod") && len(ifname) == 14 {
		ifname = ifname[3 : len(ifname)-4]
	}
	if len(ifname) > 12 {
		ifname = ifname[:12]
	}
	return prefix(containerID, 12-len(ifname)) + "_" + ifname
}

func prefix(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// IfnameFromPort inverts PortName for container containerID: the ifname
// whose port is port, "eth0" when port is not one of this container's
// (or is eth0's). A KubeVirt name comes back shortened, as PortName cut it.
// The container ID may itself contain '_', so the ifname is not simply what
// follows the first '_': it is one that gives port back. When the ID's '_'
// makes more than one do so (PortName is then not one-to-one), the shortest
// is taken, as the ifnames Multus gives (net1, net2, ...) are short.
func IfnameFromPort(containerID, port string) string {
	rest, ok := strings.CutSuffix(port, "_h")
	if !ok || port == PortName(containerID, "eth0") {
		return "eth0"
	}
	for i := len(rest) - 2; i >= 0; i-- {
		if rest[i] == '_' && PortName(containerID, rest[i+1:]) == port {
			return rest[i+1:]
		}
	}
	return "eth0"
}
