package main

import (
	"errors"
	"fmt"
	"sync"
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
	err = node.Do(func(ns.NetNS) error { return addVeths(false, "vfokfa") })
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

// kernelBurst times, with no plugin, OVS or wrapper, the kernel's share of
// a burst of n ADDs: n goroutines at once, each doing what ADD asks of the
// kernel for one pod: two links in the node and one in the pod renamed
// aside, each down first (Kube-OVN's host veth, the representor, Kube-OVN's
// pod veth), a link moved into the pod under a new name (the VF), and the
// pod's veth deleted. Such requests take the RTNL one at a time, and a move
// holds it through an RCU barrier: this is the wall time no plugin beats.
func (bn *bench) kernelBurst(n int) (time.Duration, error) {
	node, err := ns.GetNS(bn.b.NodeNS)
	if err != nil {
		return 0, err
	}
	defer node.Close()
	type side struct {
		pod     ns.NetNS
		destroy func() error
		names   [3]string // moved, renamed, renamed
	}
	sides := make([]*side, n)
	defer func() {
		for _, s := range sides {
			if s == nil {
				continue
			}
			_ = node.Do(func(ns.NetNS) error {
				for _, name := range s.names {
					_ = link.Delete(name)
					_ = link.Delete(name + "x")
				}
				return nil
			})
			s.pod.Close()
			_ = s.destroy()
		}
	}()
	for i := range sides {
		bn.seq++
		p, err := bn.b.AddPod(fmt.Sprintf("kb%d", bn.seq), "default")
		if err != nil {
			return 0, err
		}
		pod, err := ns.GetNS(p.Netns)
		if err != nil {
			_, _ = p.Destroy()
			return 0, err
		}
		s := &side{pod: pod, destroy: func() error { _, err := p.Destroy(); return err },
			names: [3]string{fmt.Sprintf("vfokm%d", i), fmt.Sprintf("vfokh%d", i), fmt.Sprintf("vfokr%d", i)}}
		sides[i] = s
		err = node.Do(func(ns.NetNS) error { return addVeths(true, s.names[:]...) })
		if err == nil {
			err = pod.Do(func(ns.NetNS) error { return addVeths(true, "vfokd") })
		}
		if err != nil {
			return 0, fmt.Errorf("kernel burst setup: %w", err)
		}
	}
	aside := func(name string) error {
		if err := link.SetUp(name, false); err != nil {
			return err
		}
		return link.Rename(name, name+"x")
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	gate := make(chan struct{})
	for i, s := range sides {
		wg.Go(func() {
			<-gate
			errs[i] = node.Do(func(ns.NetNS) error {
				for _, name := range s.names[1:] {
					if err := aside(name); err != nil {
						return err
					}
				}
				if err := s.pod.Do(func(ns.NetNS) error { return aside("vfokd") }); err != nil {
					return err
				}
				if err := link.Move(node, s.names[0], s.pod, "eth9"); err != nil {
					return err
				}
				return s.pod.Do(func(ns.NetNS) error { return link.Delete("vfokdx") })
			})
		})
	}
	t := time.Now()
	close(gate)
	wg.Wait()
	return time.Since(t), errors.Join(errs...)
}

// addVeths adds a veth pair <name>/<name>p for each name in the current
// netns, the named end up or down.
func addVeths(up bool, names ...string) error {
	for _, name := range names {
		la := netlink.NewLinkAttrs()
		la.Name = name
		if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: name + "p"}); err != nil {
			return err
		}
		if err := link.SetUp(name, up); err != nil {
			return err
		}
	}
	return nil
}
