// Package realchain runs the CNI chain as a cluster runs it: the real
// Multus thin plugin reads the pod and its NetworkAttachmentDefinition (the
// files in conf/, applied unchanged) from a real kube-apiserver, takes the
// VF the device plugin gave the pod from the kubelet's checkpoint file, and
// runs the NAD's conflist: the real Kube-OVN CNI and daemon, vf-offload, the
// real portmap, on a test bed with real Open vSwitch and an emulated
// switchdev NIC. The tests are TestMultus... and TestRealKubeOVN...; the
// harness is in harness_test.go, what stands in for what in
// e2e/realkubeovn and docs/testbed.md.
package realchain
