package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ovs-vswitchd (3.1 here) reconfigures every bridge, all of its ports, on
// any RTM_NEWLINK or RTM_DELLINK in its netns as well as on any change in
// OVSDB. With many ports that is its main cost, so the bench counts how
// many reconfigurations one call causes (coverage counter
// bridge_reconfigure). OVS moves its per-thread counters into the totals
// about once a second, so each count waits for a quiet second before and
// after the call; it is a separate, slow measure, not part of the timings.
var reconfN = flag.Int("reconf", 5, "samples of the vswitchd reconfiguration count per call (0: skip)")

type reconfRow struct {
	op, ports string
	n         []int
}

// quietCount waits until the counter has been still for a second, then
// returns it.
func (bn *bench) quietCount() (int, error) {
	last := -1
	for range 10 {
		time.Sleep(1100 * time.Millisecond)
		out, err := bn.b.OVS.Appctl("coverage/read-counter", "bridge_reconfigure")
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			return 0, fmt.Errorf("bridge_reconfigure counter %q: %w", out, err)
		}
		if n == last {
			return n, nil
		}
		last = n
	}
	return 0, fmt.Errorf("ovs-vswitchd never went quiet")
}

// reconfigs counts the reconfigurations caused by one vf-offload ADD and
// DEL, in the veth and in the already-offloaded state, and by one floor
// ADD, reconfN times each.
func (bn *bench) reconfigs(ports string) error {
	if *reconfN <= 0 {
		return nil
	}
	var add, del, oadd, odel, flo []int
	for i := 0; i < *reconfN; i++ {
		a, d, err := bn.reconfCall(i, false)
		if err != nil {
			return err
		}
		oa, od, err := bn.reconfCall(i, true)
		if err != nil {
			return fmt.Errorf("already-offloaded state: %w", err)
		}
		add, del, oadd, odel = append(add, a), append(del, d), append(oadd, oa), append(odel, od)
		err = bn.withFloorPort(func(name string) error {
			c0, err := bn.quietCount()
			if err != nil {
				return err
			}
			if err := bn.runFloor(false, name); err != nil {
				return err
			}
			c1, err := bn.quietCount()
			flo = append(flo, c1-c0)
			return err
		})
		if err != nil {
			return err
		}
	}
	bn.reconf = append(bn.reconf, reconfRow{"vf-offload ADD (veth state)", ports, add},
		reconfRow{"vf-offload DEL (veth state)", ports, del},
		reconfRow{"vf-offload ADD (already-offloaded state)", ports, oadd},
		reconfRow{"vf-offload DEL (already-offloaded state)", ports, odel},
		reconfRow{"floor ADD", ports, flo})
	return nil
}

// reconfCall counts the reconfigurations of one vf-offload ADD and its DEL
// on a pod that Kube-OVN's part left in the veth or (offload) the
// already-offloaded state.
func (bn *bench) reconfCall(i int, offload bool) (add, del int, err error) {
	pd, err := bn.newPod(i, offload)
	if err != nil {
		return 0, 0, err
	}
	c0, err := bn.quietCount()
	if err != nil {
		return 0, 0, err
	}
	if _, err := bn.cni.AddNetwork(bn.ctx, pd.vfo, pd.rt); err != nil {
		return 0, 0, fmt.Errorf("ADD: %w", err)
	}
	c1, err := bn.quietCount()
	if err != nil {
		return 0, 0, err
	}
	if err := bn.cni.DelNetwork(bn.ctx, pd.vfo, pd.rt); err != nil {
		return 0, 0, fmt.Errorf("DEL: %w", err)
	}
	c2, err := bn.quietCount()
	if err != nil {
		return 0, 0, err
	}
	return c1 - c0, c2 - c1, bn.dropPod(pd)
}

func (bn *bench) reconfReport(w io.Writer) {
	if len(bn.reconf) == 0 {
		return
	}
	tableHead(w, "ovs-vswitchd bridge reconfigurations caused by one call (coverage counter bridge_reconfigure, counted between quiet seconds):",
		"call", "other ports", "n", "min", "p50", "max")
	for _, r := range bn.reconf {
		s := append([]int(nil), r.n...)
		sort.Ints(s)
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d |\n", r.op, r.ports, len(s), s[0], s[(len(s)-1)/2], s[len(s)-1])
	}
}
