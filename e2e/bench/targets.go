package main

import (
	"fmt"
	"io"
	"time"
)

// targets writes the speed and memory targets: each p50 of this run against a bound
// made of floors timed in this same run, with met or NOT met. The floor is
// the "floor ADD" row: the floor binary through the same bed wrapper as
// every plugin call. rssMax (KiB) is the largest peak RSS of n ADDs.
func (bn *bench) targets(w io.Writer, rssMax int64, n int) {
	p50 := func(op, ports string) (time.Duration, bool) {
		r := bn.find(op, ports)
		if r == nil || len(r.d) == 0 {
			return 0, false
		}
		return pct(r.d, .5), true
	}
	tableHead(w, "Targets (p50 of this run; 'floor' is the floor ADD through the bed wrapper, as every plugin call):",
		"target", "measured", "bound", "verdict")
	row := func(name string, got, bound time.Duration, how string) {
		fmt.Fprintf(w, "| %s | %s | <= %s (%s) | %s |\n", name, ms(got), ms(bound), how, verdict(got <= bound))
	}
	big := fmt.Sprint(*bigPort)
	for _, ports := range []string{"10", big} {
		fl, ok1 := p50(opFloor, ports)
		km, ok2 := p50(opKMove, ports)
		kd, ok3 := p50(opKDel, ports)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		if a, ok := p50(opOffAdd, ports); ok {
			row(fmt.Sprintf("already-offloaded ADD within 3 ms of the floor (%s ports)", ports), a, fl+3*time.Millisecond,
				fmt.Sprintf("floor %s + 3 ms", ms(fl)))
		}
		if d, ok := p50(opOffDel, ports); ok {
			row(fmt.Sprintf("already-offloaded DEL within 5 ms of floor + one kernel move (%s ports)", ports), d, fl+km+5*time.Millisecond,
				fmt.Sprintf("floor %s + move %s + 5 ms", ms(fl), ms(km)))
		}
		if a, ok := p50(opVethAdd, ports); ok {
			row(fmt.Sprintf("veth-state ADD within 5 ms of floor + kernel move + veth delete (%s ports)", ports), a, fl+km+kd+5*time.Millisecond,
				fmt.Sprintf("floor %s + move %s + delete %s + 5 ms", ms(fl), ms(km), ms(kd)))
		}
	}
	f10, ok1 := p50(opFloor, "10")
	fBig, ok2 := p50(opFloor, big)
	if ok1 && ok2 {
		for _, op := range []string{opOffAdd, opVethAdd} {
			a10, ok3 := p50(op, "10")
			aBig, ok4 := p50(op, big)
			if !ok3 || !ok4 {
				continue
			}
			row(fmt.Sprintf("%s: growth from 10 to %s ports at most the floor's + 2 ms", op, big), aBig-a10, fBig-f10+2*time.Millisecond,
				fmt.Sprintf("floor grew %s + 2 ms; ADD %s -> %s", ms(fBig-f10), ms(a10), ms(aBig)))
		}
	}
	if r := bn.find(burstRow(*burstN), "10"); r != nil {
		if k := bn.find(kernelBurstRow(*burstN), "10"); k != nil {
			bound := time.Duration(1.3 * float64(k.d[0]))
			fmt.Fprintf(w, "| burst of %d ADDs within 1.3x the kernel's share of it, 0 failures | %s, %d failures | <= %s (1.3 x kernel %s), 0 failures | %s |\n",
				*burstN, ms(r.d[0]), r.fails, ms(bound), ms(k.d[0]), verdict(r.d[0] <= bound && r.fails == 0))
		}
	}
	if r := bn.find(offBurstRow(*burstN), "10"); r != nil {
		fmt.Fprintf(w, "| the same burst in the already-offloaded state (the usual case) | %s, %d failures | - | measured, no bound |\n",
			ms(r.d[0]), r.fails)
	}
	if v, ok := p50(startVFO, "-"); ok {
		if h, ok := p50(startHello, "-"); ok {
			row("starting the binary (CNI_COMMAND=VERSION) at most 2x a Go hello world", v, 2*h,
				fmt.Sprintf("2 x hello world %s; ratio %.2fx", ms(h), float64(v)/float64(h)))
		}
	}
	fmt.Fprintf(w, "| peak RSS of one ADD <= 25 MB | %.1f MiB (max of %d) | <= 23.8 MiB (25 MB) | %s |\n",
		float64(rssMax)/1024, n, verdict(rssMax > 0 && rssMax*1024 <= 25*1000*1000))
	fmt.Fprintf(w, "| the chain through real Multus: total ADD and vf-offload's share | BenchmarkMultusOffloadedChain, below | - | measured, no bound |\n")
}

func burstRow(n int) string { return fmt.Sprintf("burst %d ADD: wall", n) }
func offBurstRow(n int) string {
	return fmt.Sprintf("burst %d, already-offloaded state, ADD: wall", n)
}
func kernelBurstRow(n int) string {
	return fmt.Sprintf("kernel: burst of %d (rename, move, veth delete)", n)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
