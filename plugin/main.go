// Command vf-offload is a chained CNI plugin that swaps Kube-OVN's veth for an
// SR-IOV VF and attaches the VF's representor to br-int so OVS flows can be
// offloaded to a switchdev SmartNIC.
package main

func main() {}
