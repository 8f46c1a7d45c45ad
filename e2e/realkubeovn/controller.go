package realkubeovn

import (
	"context"
	"fmt"
	"net"
)

// Net is one Kube-OVN Subnet and the provider that binds it: "ovn" for the
// cluster's default network, "<nad>.<namespace>.ovn" for a NAD's.
type Net struct {
	Subnet   string // Subnet object name, also the pod's logical_switch
	Provider string
	CIDR     string // e.g. 10.16.0.0/16
	Gateway  string // e.g. 10.16.0.1
	Default  bool   // the cluster's default subnet
}

// Join is the node join network the daemon puts on ovn0.
const (
	JoinCIDR    = "100.64.0.0/16"
	JoinGateway = "100.64.0.1"
	joinNodeIP  = "100.64.0.2"
)

// prefixLen is the mask length of a CIDR ("10.16.0.0/16" -> 16).
func prefixLen(cidr string) (int, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return 0, fmt.Errorf("subnet CIDR %q: %w", cidr, err)
	}
	ones, _ := n.Mask.Size()
	return ones, nil
}

// CreateSubnet writes the Subnet as kube-ovn-controller's user would.
func CreateSubnet(ctx context.Context, api API, n Net) error {
	doc := fmt.Sprintf(`apiVersion: kubeovn.io/v1
kind: Subnet
metadata:
  name: %s
spec:
  protocol: IPv4
  cidrBlock: %s
  gateway: %s
  excludeIps: [%s]
  provider: %s
  default: %t
  gatewayType: distributed
`, n.Subnet, n.CIDR, n.Gateway, n.Gateway, n.Provider, n.Default)
	if err := api.Apply(ctx, []byte(doc)); err != nil {
		return fmt.Errorf("subnet %s: %w", n.Subnet, err)
	}
	return nil
}

// CreateNode writes the Node with the join-network annotations
// kube-ovn-controller gives every node (the daemon puts them on ovn0).
func CreateNode(ctx context.Context, api API, name, mac string) error {
	doc := fmt.Sprintf(`apiVersion: v1
kind: Node
metadata:
  name: %[1]s
  labels: {kubernetes.io/hostname: %[1]s, kubernetes.io/os: linux}
  annotations:
    ovn.kubernetes.io/allocated: "true"
    ovn.kubernetes.io/ip_address: %[2]s
    ovn.kubernetes.io/mac_address: "%[3]s"
    ovn.kubernetes.io/cidr: %[4]s
    ovn.kubernetes.io/gateway: %[5]s
    ovn.kubernetes.io/logical_switch: join
    ovn.kubernetes.io/port_name: node-%[1]s
`, name, joinNodeIP, mac, JoinCIDR, JoinGateway)
	if err := api.Apply(ctx, []byte(doc)); err != nil {
		return fmt.Errorf("node %s: %w", name, err)
	}
	return nil
}

// Allocation is what kube-ovn-controller's IPAM gives one pod interface.
type Allocation struct {
	Namespace, Pod, Node string
	Net                  Net
	IP, MAC              string // IP without mask
}

// annotationPrefix is Kube-OVN's "<provider>.kubernetes.io/".
func annotationPrefix(provider string) string { return provider + ".kubernetes.io/" }

// LogicalPortName is Kube-OVN's logical port and IP object name for a pod on a
// provider (ovs.PodNameToPortName).
func LogicalPortName(pod, namespace, provider string) string {
	if provider == "ovn" {
		return pod + "." + namespace
	}
	return pod + "." + namespace + "." + provider
}

// allocationAnnotations are the pod annotations kube-ovn-controller writes
// once its IPAM picked a's addresses and the logical port's routes are in
// OVN (routed=true), under the provider's prefix.
func allocationAnnotations(a Allocation) map[string]string {
	p := annotationPrefix(a.Net.Provider)
	return map[string]string{
		p + "allocated":      "true",
		p + "ip_address":     a.IP,
		p + "mac_address":    a.MAC,
		p + "cidr":           a.Net.CIDR,
		p + "gateway":        a.Net.Gateway,
		p + "logical_switch": a.Net.Subnet,
		p + "routed":         "true",
	}
}

// createIP writes a's IP object, as kube-ovn-controller does.
func createIP(ctx context.Context, api API, a Allocation) error {
	plen, err := prefixLen(a.Net.CIDR)
	if err != nil {
		return err
	}
	name := LogicalPortName(a.Pod, a.Namespace, a.Net.Provider)
	doc := fmt.Sprintf(`apiVersion: kubeovn.io/v1
kind: IP
metadata:
  name: %s
  labels: {%s: "", ovn.kubernetes.io/subnet: %s, ovn.kubernetes.io/node-name: %s}
spec:
  podName: %s
  namespace: %s
  subnet: %s
  nodeName: %s
  ipAddress: %s
  v4IpAddress: %s
  macAddress: "%s"
  podType: ""
  attachIps: []
  attachMacs: []
  attachSubnets: []
`, name, a.Net.Subnet, a.Net.Subnet, a.Node, a.Pod, a.Namespace, a.Net.Subnet, a.Node, a.IP, a.IP, a.MAC)
	if err := api.Apply(ctx, []byte(doc)); err != nil {
		return fmt.Errorf("IP object %s (/%d): %w", name, plen, err)
	}
	return nil
}
