package tcfilter

import (
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/vf-offload/vf-offload/pkg/hwoffload"
	"github.com/vf-offload/vf-offload/pkg/roottest"
)

// TestIngressFromKernel puts filters on a veth "representor" in a scratch
// netns with tc, reads them back over netlink with Ingress, and checks them
// against what tc itself prints (parsed by hwoffload.ParseTCFilters). The
// kernel here has u32 but no flower (see /work/shared/notes/testbed.md):
// the hardware flags are the same TCA_CLS_FLAGS_* bits for both, and a veth
// has no TC offload, so the kernel must mark every filter not_in_hw.
func TestIngressFromKernel(t *testing.T) {
	roottest.Root(t, "creating a network namespace, veths and tc filters")
	roottest.Tool(t, "tc", "iproute2")
	ns := fmt.Sprintf("vfo-tcf-%d", os.Getpid())
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() {
		// The qdisc goes first: a packet that a wrong redirect keeps
		// looping holds its socket, which holds the netns, which then
		// outlives "ip netns del" and keeps a CPU busy until reboot.
		_ = exec.Command("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "rep0", "clsact").Run()
		_ = exec.Command("ip", "netns", "del", ns).Run()
	})
	in := func(args ...string) string { return run(append([]string{"ip", "netns", "exec", ns}, args...)...) }
	in("ip", "link", "add", "name", "rep0", "type", "veth", "peer", "name", "vf0")
	in("ip", "link", "add", "name", "sink0", "type", "veth", "peer", "name", "sink1")
	for _, d := range []string{"rep0", "vf0", "sink0", "sink1"} {
		in("ip", "link", "set", d, "up")
	}
	// Before any qdisc: no filters, no error.
	if got := ingressIn(t, ns, "rep0"); len(got) != 0 {
		t.Errorf("rep0 without a clsact qdisc: %+v", got)
	}
	in("tc", "qdisc", "add", "dev", "rep0", "clsact")
	in("tc", "filter", "add", "dev", "rep0", "ingress", "protocol", "ip", "pref", "1", "u32", "skip_hw",
		"match", "ip", "dst", "192.0.2.1/32", "action", "mirred", "egress", "redirect", "dev", "sink0")
	in("tc", "filter", "add", "dev", "rep0", "ingress", "protocol", "ip", "pref", "2", "u32",
		"match", "ip", "dst", "192.0.2.2/32", "action", "mirred", "egress", "redirect", "dev", "sink0")
	// Three packets through the skip_hw filter: from vf0 to 192.0.2.1.
	in("ip", "addr", "add", "192.0.2.100/24", "dev", "vf0")
	in("ip", "neigh", "add", "192.0.2.1", "lladdr", "02:00:00:00:00:01", "dev", "vf0")
	_ = exec.Command("ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "0.3", "192.0.2.1").Run()

	got := ingressIn(t, ns, "rep0")
	want, err := hwoffload.ParseTCFilters(in("tc", "-s", "filter", "show", "dev", "rep0", "ingress"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(want) != 2 {
		t.Fatalf("netlink: %+v\ntc: %+v", got, want)
	}
	f := got[0]
	if f.Kind != "u32" || f.Protocol != "ip" || f.Pref != 1 || f.Handle != "800::800" || !f.SkipHW || f.SkipSW ||
		f.InHW || !f.NotInHW || f.InHardware() {
		t.Errorf("skip_hw filter: %+v", f)
	}
	if _, p, hw := f.Stats(); p != 3 || hw != 0 || f.Actions[0].Device != "sink0" || f.Actions[0].Kind != "mirred" {
		t.Errorf("skip_hw filter: %d packets, %d in hardware, actions %+v; want 3, 0, a redirect to sink0", p, hw, f.Actions)
	}
	if g := got[1]; g.Handle != "801::800" || g.SkipHW || !g.NotInHW {
		t.Errorf("filter without skip_hw on a veth: %+v", g)
	}
	// Everything tc prints (the match keys aside: the text has u32's raw
	// "match" lines, the netlink reader decodes flower keys only).
	for i := range got {
		g, w := got[i], want[i]
		g.Keys, w.Keys = nil, nil
		for j := range g.Actions {
			g.Actions[j].Text, w.Actions[j].Text = "", ""
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("filter %d:\nnetlink %+v\ntc      %+v", i, g, w)
		}
	}
	if _, err := ingressInErr(ns, "nosuch0"); err == nil || !strings.Contains(err.Error(), "nosuch0") {
		t.Errorf("missing device: %v", err)
	}
}

func ingressIn(t *testing.T, ns, dev string) []hwoffload.TCFilter {
	t.Helper()
	f, err := ingressInErr(ns, dev)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// ingressInErr runs Ingress on a thread inside the named netns.
func ingressInErr(ns, dev string) ([]hwoffload.TCFilter, error) {
	type result struct {
		f   []hwoffload.TCFilter
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // the thread is left in ns: never unlocked, so it exits with the goroutine
		h, err := netns.GetFromName(ns)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			ch <- result{nil, err}
			return
		}
		f, err := Ingress(dev)
		ch <- result{f, err}
	}()
	r := <-ch
	return r.f, r.err
}
