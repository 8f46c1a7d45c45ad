package main

import (
	"fmt"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/link"
)

// kernelSample times what the kernel alone charges an ADD, with no plugin,
// wrapper or OVS: moving a netdev into a pod's netns under a new name (one
// RTM_SETLINK, as ADD moves the VF) and deleting a veth pair (as ADD deletes
// Kube-OVN's). Each waits for an RCU grace period, whose length is the
// kernel's and the machine's.
func (bn *bench) kernelSample() (move, del time.Duration, err error) {
	bn.seq++
	p, err := bn.b.AddPod(fmt.Sprintf("k%d", bn.seq), "default")
	if err != nil {
		return 0, 0, err
	}
	defer p.Destroy()
	node, err := ns.GetNS(bn.b.NodeNS)
	if err != nil {
		return 0, 0, err
	}
	defer node.Close()
	pod, err := ns.GetNS(p.Netns)
	if err != nil {
		return 0, 0, err
	}
	defer pod.Close()
	err = node.Do(func(ns.NetNS) error {
		la := netlink.NewLinkAttrs()
		la.Name = "vfokfa"
		return netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "vfokfb"})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("kernel sample: veth: %w", err)
	}
	t := time.Now()
	if err := link.Move(node, "vfokfa", pod, "eth9"); err != nil {
		_ = node.Do(func(ns.NetNS) error { return link.Delete("vfokfa") })
		return 0, 0, fmt.Errorf("kernel sample: %w", err)
	}
	move = time.Since(t)
	t = time.Now()
	if err := pod.Do(func(ns.NetNS) error { return link.Delete("eth9") }); err != nil {
		return 0, 0, fmt.Errorf("kernel sample: delete: %w", err)
	}
	return move, time.Since(t), nil
}
