package offload_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
)

// TestBurst adds 32 pods on 32 VFs at once through libcni, then deletes
// them at once, 5 rounds: no failure, and the node exactly as before.
func TestBurst(t *testing.T) {
	const n, rounds = 32, 5
	e := newEnv(t, nic.Agilio(), n)
	before := e.snapshot()
	for r := range rounds {
		pods := make([]*bed.Pod, n)
		confs := make([]bed.Conflist, n)
		caps := make([]map[string]any, n)
		for i := range n {
			pods[i] = e.pod(fmt.Sprintf("r%dp%d", r, i))
			confs[i], caps[i] = e.full(false, e.b.NIC.VFs[i].PCI)
		}
		start := time.Now()
		errs := e.parallel(n, func(i int) error {
			_, err := e.b.Add(e.ctx, confs[i], pods[i], "eth0", caps[i])
			return err
		})
		addTook := time.Since(start)
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: ADD of pod %d: %v", r, i, err)
			}
		}
		if r == 0 {
			e.assertWired(pods[n-1], e.b.NIC.VFs[n-1])
		}
		start = time.Now()
		errs = e.parallel(n, func(i int) error { return e.b.Del(e.ctx, confs[i], pods[i], "eth0", caps[i]) })
		delTook := time.Since(start)
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: DEL of pod %d: %v", r, i, err)
			}
		}
		for _, p := range pods {
			if _, err := p.Destroy(); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("round %d: %d parallel ADDs in %v, %d parallel DELs in %v", r, n, addTook.Round(time.Millisecond), n, delTook.Round(time.Millisecond))
		if t.Failed() {
			break
		}
	}
	e.assertSame("after the bursts", before)
}

func (e *env) parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}

// TestRaceForOneVF starts two containers on the same VF at once: exactly
// one gets it, the other gets a clear error, nothing is crossed.
func TestRaceForOneVF(t *testing.T) {
	e := newEnv(t, nic.ConnectX5(), 1)
	vf := e.b.NIC.VFs[0]
	for round := range 3 {
		a, b := e.pod(fmt.Sprintf("a%d", round)), e.pod(fmt.Sprintf("b%d", round))
		c, caps := e.full(false, vf.PCI)
		pods := []*bed.Pod{a, b}
		errs := e.parallel(2, func(i int) error {
			_, err := e.b.Add(e.ctx, c, pods[i], "eth0", caps)
			return err
		})
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: want exactly one winner, got errors %v and %v", round, errs[0], errs[1])
		}
		win, lose, lerr := a, b, errs[1]
		if errs[0] != nil {
			win, lose, lerr = b, a, errs[0]
		}
		if !strings.Contains(lerr.Error(), "in use by container "+win.ContainerID) {
			t.Errorf("round %d: loser's error should name the winner: %v", round, lerr)
		}
		e.assertWired(win, vf)
		if !strings.Contains(e.inPod(lose, "ip", "-d", "-o", "link", "show", "eth0"), "veth") {
			t.Errorf("round %d: the loser lost Kube-OVN's veth", round)
		}
		e.del(c, lose, caps)
		e.assertWired(win, vf) // the loser's DEL leaves the winner alone
		e.del(c, win, caps)
		for _, p := range pods {
			if _, err := p.Destroy(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestDelOldRacesAddNew is the sriov-cni #219 race: the VF of an old pod is
// given to a new pod while the old pod's DEL is still running. The new ADD
// either waits for the lock and finds the VF free, or is refused while the
// old pod still holds it and succeeds on the runtime's retry; either way the
// new pod ends up wired and the old state is gone.
func TestDelOldRacesAddNew(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	vf := e.b.NIC.VFs[0]
	for round := range 3 {
		old, nu := e.pod(fmt.Sprintf("old%d", round)), e.pod(fmt.Sprintf("new%d", round))
		c, caps := e.full(false, vf.PCI)
		e.add(c, old, caps)
		errs := e.parallel(2, func(i int) error {
			if i == 0 {
				return e.b.Del(e.ctx, c, old, "eth0", caps)
			}
			_, err := e.b.Add(e.ctx, c, nu, "eth0", caps)
			return err
		})
		if errs[0] != nil {
			t.Fatalf("round %d: DEL of the old pod: %v", round, errs[0])
		}
		if errs[1] != nil {
			t.Logf("round %d: new ADD refused while the old pod held the VF (%v); retrying as the runtime does", round, errs[1])
			_ = e.b.Del(e.ctx, c, nu, "eth0", caps)
			e.add(c, nu, caps)
		}
		e.assertWired(nu, vf)
		if links := e.inPod(old, "ip", "-o", "link", "show"); strings.Contains(links, "eth0") {
			t.Errorf("round %d: old pod still has an eth0: %s", round, links)
		}
		e.del(c, nu, caps)
		for _, p := range []*bed.Pod{old, nu} {
			if _, err := p.Destroy(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
