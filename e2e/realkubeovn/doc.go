// Package realkubeovn runs the real Kube-OVN daemon (kube-ovn-cni, built by
// e2e/components) on a test bed, with the API objects its controller would
// write and the two things OVN would do for it, each in the smallest honest
// form:
//
//   - Controller stand-in (controller.go): the Subnets, the Node's join
//     address annotations, the pod's address annotations with routed=true,
//     and the IP object — what kube-ovn-controller writes from its IPAM.
//     The bed chooses the addresses; nothing checks them against OVN.
//   - ovn-controller stand-in (ovn.go): sets external_ids:ovn-installed=true
//     on every Interface that carries an iface-id once ovs-vswitchd opened it
//     (the real one does so once the logical port is bound and its flows are
//     in), and nothing else: no logical flows, br-int forwards with a NORMAL
//     flow.
//   - The network behind OVN (gateway.go): a netns on br-int that answers for
//     the join gateway (100.64.0.1) and the subnets' gateways, which the
//     daemon pings from ovn0 at start and from each pod on ADD.
//
// Everything else is Kube-OVN's own code: its CNI binary, its daemon's HTTP
// API, its VF wiring (sriovnet on the bed's emulated sysfs, netlink, ovs-vsctl,
// ethtool) and its DEL. One call is changed at build time, visibly:
// e2e/components/kube-ovn-vf-mac.patch records the VF's administrative MAC
// where the bed can read it, because the bed's veth "PF" has no VFs.
package realkubeovn
