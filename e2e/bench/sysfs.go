package main

import (
	"fmt"
	"io"
	"syscall"
	"time"
)

// The emulated NIC's sysfs is a FUSE file system served by goroutines of
// this process: what it costs in a phase (requests, full link dumps, this
// process's CPU, which is mostly that server's) tells the emulation's share
// of a burst apart from the plugin's.

type sysfsCost struct {
	reqs, dumps int64
	cpu         time.Duration // this process's user+system CPU, children excluded
}

func (bn *bench) sysfsNow() sysfsCost {
	c := sysfsCost{reqs: bn.b.NIC.SysfsRequests(), dumps: bn.b.NIC.SysfsDumps()}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		c.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return c
}

// sysfsNote records the cost of the phase that started at from.
func (bn *bench) sysfsNote(phase string, from sysfsCost) {
	now := bn.sysfsNow()
	bn.sysfs = append(bn.sysfs, fmt.Sprintf("| %s | %d | %d | %s |", phase,
		now.reqs-from.reqs, now.dumps-from.dumps, ms(now.cpu-from.cpu)))
}

func (bn *bench) sysfsReport(w io.Writer) {
	if len(bn.sysfs) == 0 {
		return
	}
	tableHead(w, "The emulated sysfs (FUSE, served by this bench process; its CPU includes libcni's fork/exec):",
		"phase", "FUSE requests", "full link dumps", "bench process CPU")
	for _, l := range bn.sysfs {
		fmt.Fprintln(w, l)
	}
}
