package offload_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/setup"
)

// setupPF runs `vf-offload setup-pf args...` inside the bed.
func (e *env) setupPF(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	var o, eb strings.Builder
	cmd := e.b.NIC.Command(e.b.Bins.Path["vf-offload"], append([]string{"setup-pf"}, args...)...)
	cmd.Stdout, cmd.Stderr = &o, &eb
	if err := cmd.Run(); err != nil {
		if code = cmd.ProcessState.ExitCode(); code < 0 {
			e.t.Fatalf("setup-pf %v: %v", args, err)
		}
	}
	return o.String(), eb.String(), code
}

// facts is the PF as setup-pf sees it inside the bed (a dry run's "before").
func (e *env) facts(pf string) setup.Facts {
	e.t.Helper()
	js, stderr, _ := e.setupPF("--pf", pf, "--vfs", "1", "--dry-run", "--json")
	var r setup.Result
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		e.t.Fatalf("setup-pf --json: %v\n%s%s", err, js, stderr)
	}
	return r.Before
}

// What the bed cannot do, as setup-pf must say it (see the pkg/setup
// planner): no devlink device, and a veth uplink whose hw-tc-offload is
// off [fixed].
func cannotLines(n *nic.NIC) []string {
	return []string{
		"not done, setup-pf cannot check or change these here (offload needs them):",
		"  - check that the eswitch of ", " is in switchdev mode — cannot check or change it here: devlink pci/" + n.PFPCI + ": ",
		"sysfs shows the uplink representor " + n.Uplink + " (phys_port_name and phys_switch_id), which a NIC exposes only in switchdev mode",
		"  - turn on hw-tc-offload of " + n.Uplink + " — cannot change it here: hw-tc-offload of " + n.Uplink + " is off [fixed]",
	}
}

// adminUp reads the IFF_UP flag from an `ip -o link show` line.
func adminUp(line string) bool {
	_, rest, _ := strings.Cut(line, "<")
	flags, _, _ := strings.Cut(rest, ">")
	return slices.Contains(strings.Split(flags, ","), "UP")
}

func mustContain(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

// TestSetupPFOnTheBed runs `vf-offload setup-pf --dry-run` inside the bed.
// The emulated NIC has its VFs, representors (down, as new ones are) and a
// live sysfs, but no devlink device and a veth uplink without TC offload:
// the dry run must plan only the representors' link-up and say that the
// eswitch mode and hw-tc-offload cannot be checked or changed here.
func TestSetupPFOnTheBed(t *testing.T) {
	for _, p := range []nic.Profile{nic.Agilio(), nic.ConnectX5()} {
		t.Run(p.Name, func(t *testing.T) {
			e := newEnv(t, p, 2)
			n := e.b.NIC
			before := e.snapshot()

			out, stderr, code := e.setupPF("--pf", n.PFNetdev, "--vfs", "2", "--dry-run")
			t.Logf("setup-pf --pf %s --vfs 2 --dry-run (exit %d):\n%s%s", n.PFNetdev, code, out, stderr)
			if code != 1 {
				t.Errorf("dry run with steps that cannot be done here: exit %d, want 1", code)
			}
			mustContain(t, "dry run output", out, append(cannotLines(n),
				"PF "+n.PFNetdev+" ("+n.PFPCI+"): ",
				"VFs 2 of "+strconv.Itoa(p.TotalVFs)+", eswitch none (no devlink device), uplink "+n.Uplink+", hw-tc-offload off [fixed]",
				"dry run: to get 2 VFs in switchdev mode, setup-pf would:",
				"  1. bring up representor "+n.VFs[0].Rep+" of VF 0\n  2. bring up representor "+n.VFs[1].Rep+" of VF 1\n",
				"note: Corigine Agilio (nfp): the flower firmware must be selected before this",
			)...)
			mustContain(t, "dry run stderr", stderr, "PF "+n.PFNetdev+" is not ready for offload: 2 step(s) cannot be checked or done here")
			if strings.Contains(out, "sriov_numvfs") || strings.Contains(out, "would fail") {
				t.Errorf("the bed already has 2 VFs and representors; the plan should change only links:\n%s", out)
			}

			js, _, _ := e.setupPF("--pf", n.PFNetdev, "--vfs", "2", "--dry-run", "--json")
			var r setup.Result
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Fatalf("--json: %v\n%s", err, js)
			}
			b := r.Before
			if !r.DryRun || b.PCI != n.PFPCI || !b.SRIOV || b.TotalVFs != p.TotalVFs || b.NumVFs != 2 ||
				b.Eswitch != setup.EswitchNone || b.Uplink != n.Uplink || len(b.Reps) != 2 ||
				b.Reps[0].Name != n.VFs[0].Rep || b.Reps[1].Name != n.VFs[1].Rep || b.HWTCOffload != setup.FeatureFixed {
				t.Errorf("facts on the bed: %+v", b)
			}
			if len(r.Steps) != 2 || len(r.Cannot) != 2 || r.Cannot[0].Action != setup.ActSwitchdev ||
				r.Cannot[1].Action != setup.ActHWTC || r.Cannot[1].Device != n.Uplink {
				t.Errorf("steps %+v\ncannot %+v", r.Steps, r.Cannot)
			}
			if d := e.settledDiff(before, nil); d != "" {
				t.Errorf("dry runs changed the node:\n%s", d)
			}

			out, stderr, code = e.setupPF("--pf", n.PFNetdev, "--vfs", "999", "--dry-run")
			want := "999 VFs requested but sriov_totalvfs is " + strconv.Itoa(p.TotalVFs)
			if code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("--vfs 999: exit %d, want 1 and %q\n%s%s", code, want, out, stderr)
			}
			if _, stderr, code = e.setupPF("--pf", n.PFNetdev); code != 2 {
				t.Errorf("without --vfs: exit %d, want 2\n%s", code, stderr)
			}
		})
	}
}

// TestSetupPFWritesOnTheBed runs the real `vf-offload setup-pf` (no dry
// run) inside the bed, whose emulated sriov_numvfs behaves as the kernel's:
// from 1 VF to 3 it must write 0 then 3, bring up the new representors,
// report the eswitch mode and hw-tc-offload as not doable here (exit 1),
// and a second run must change nothing. Bad requests change nothing.
func TestSetupPFWritesOnTheBed(t *testing.T) {
	for _, p := range []nic.Profile{nic.Agilio(), nic.ConnectX5()} {
		t.Run(p.Name, func(t *testing.T) {
			e := newEnv(t, p, 1)
			n := e.b.NIC
			numvfs := func() string {
				return e.node("cat", "/sys/class/net/"+n.Uplink+"/device/sriov_numvfs")
			}
			oldRep := n.CurrentVFs()[0].Rep
			pfx := "set sriov_numvfs of " + n.Uplink + " (" + n.PFPCI + ") to "
			steps := "  1. " + pfx + "0: the kernel requires 0 before changing 1 VFs to 3\n  2. " + pfx + "3 (sriov_totalvfs " + strconv.Itoa(p.TotalVFs) + ")\n"

			// The dry run plans what the real run then does, and changes nothing.
			start := e.snapshot()
			out, stderr, code := e.setupPF("--pf", n.Uplink, "--vfs", "3", "--dry-run")
			t.Logf("setup-pf --pf %s --vfs 3 --dry-run (exit %d):\n%s%s", n.Uplink, code, out, stderr)
			mustContain(t, "dry run", out, append(cannotLines(n), "dry run: to get 3 VFs in switchdev mode, setup-pf would:\n"+steps,
				"bring up the representors of VFs 0..2 of "+n.Uplink+" once they exist")...)
			if d := e.settledDiff(start, nil); code != 1 || d != "" || numvfs() != "1" {
				t.Errorf("dry run: exit %d, want 1; changes:\n%s", code, d)
			}

			out, stderr, code = e.setupPF("--pf", n.Uplink, "--vfs", "3")
			t.Logf("setup-pf --pf %s --vfs 3 (exit %d):\n%s%s", n.Uplink, code, out, stderr)
			if code != 1 {
				t.Errorf("exit %d, want 1: the eswitch mode and hw-tc-offload cannot be done here", code)
			}
			mustContain(t, "setup-pf output", out, append(cannotLines(n),
				"VFs 1 of "+strconv.Itoa(p.TotalVFs)+", eswitch none (no devlink device), uplink "+n.Uplink,
				"changed:\n"+steps,
			)...)
			mustContain(t, "setup-pf stderr", stderr, "PF "+n.Uplink+" is not ready for offload: 2 step(s) cannot be checked or done here")
			if strings.Contains(out, "would fail") || strings.Contains(stderr, "changed before the error") {
				t.Errorf("unexpected failure text:\n%s%s", out, stderr)
			}

			// The state: 3 VFs with their netdevs and representors, the
			// representors and the uplink up. The VF netdevs stay down, as on
			// hardware: setup-pf leaves them to the CNI plugin.
			if got := numvfs(); got != "3" {
				t.Errorf("sriov_numvfs = %q after setup-pf --vfs 3", got)
			}
			vfs := n.CurrentVFs()
			if len(vfs) != 3 {
				t.Fatalf("%d VFs after setup-pf --vfs 3", len(vfs))
			}
			for _, vf := range vfs {
				mustContain(t, "setup-pf output", out, "bring up representor "+vf.Rep+" of VF "+strconv.Itoa(vf.Index))
				e.node("ip", "link", "show", "dev", vf.Netdev)
				if l := e.node("ip", "-o", "link", "show", "dev", vf.Rep); !adminUp(l) {
					t.Errorf("representor %s of VF %d not up: %s", vf.Rep, vf.Index, l)
				}
			}
			f := e.facts(n.Uplink)
			if f.NumVFs != 3 || !f.UplinkUp || len(f.Reps) != 3 {
				t.Errorf("facts after setup-pf: %+v", f)
			}
			for i, r := range f.Reps {
				if r.Name != vfs[i].Rep || !r.Up {
					t.Errorf("sriovnet sees representor of VF %d as %+v, want %s up", i, r, vfs[i].Rep)
				}
			}
			if oldRep != vfs[0].Rep {
				t.Errorf("VF 0's representor was %s and is now %s", oldRep, vfs[0].Rep)
			}

			// Idempotent: a second run changes nothing and says so.
			before := e.snapshot()
			ifi := e.node("cat", "/sys/class/net/"+vfs[0].Rep+"/ifindex")
			out, stderr, code = e.setupPF("--pf", n.Uplink, "--vfs", "3")
			t.Logf("second run (exit %d):\n%s%s", code, out, stderr)
			mustContain(t, "second run", out, append(cannotLines(n), "nothing to do that can be done here: 3 VFs, uplink and representors up")...)
			if code != 1 || strings.Contains(out, "changed") {
				t.Errorf("second run: exit %d, want 1 and no change", code)
			}
			if d := e.settledDiff(before, nil); d != "" || numvfs() != "3" ||
				e.node("cat", "/sys/class/net/"+vfs[0].Rep+"/ifindex") != ifi {
				t.Errorf("second run changed the node:\n%s", d)
			}

			// Bad requests: clear errors, nothing changed.
			wire := "vfo" + n.ID + "w"
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"--pf", n.Uplink, "--vfs", strconv.Itoa(p.TotalVFs + 1)},
					"PF " + n.Uplink + ": " + strconv.Itoa(p.TotalVFs+1) + " VFs requested but sriov_totalvfs is " + strconv.Itoa(p.TotalVFs)},
				{[]string{"--pf", wire, "--vfs", "2"}, "PF " + wire + " is not SR-IOV capable (no device/sriov_totalvfs)"},
				{[]string{"--pf", "lo", "--vfs", "2"}, "PF lo is not SR-IOV capable (no device/sriov_totalvfs)"},
				{[]string{"--pf", "nosuch0", "--vfs", "2"}, "PF nosuch0: no such netdev"},
			} {
				out, stderr, code := e.setupPF(c.args...)
				if code != 1 || !strings.Contains(stderr, c.want) || strings.Contains(out, "changed") {
					t.Errorf("%v: exit %d, want 1 and %q\n%s%s", c.args, code, c.want, out, stderr)
				}
			}
			if d := e.settledDiff(before, nil); d != "" || numvfs() != "3" {
				t.Errorf("refused requests changed the node:\n%s", d)
			}

			// Fewer VFs: 0 first again, the extra VFs and representors go.
			out, stderr, code = e.setupPF("--pf", n.Uplink, "--vfs", "1")
			mustContain(t, "--vfs 1", out, "changed:\n  1. "+pfx+"0: the kernel requires 0 before changing 3 VFs to 1\n  2. "+pfx+"1 ")
			if code != 1 || numvfs() != "1" || len(n.CurrentVFs()) != 1 {
				t.Errorf("--vfs 1: exit %d, sriov_numvfs %s\n%s%s", code, numvfs(), out, stderr)
			}
			if _, err := e.b.Node("ip", "link", "show", "dev", vfs[2].Rep); err == nil {
				t.Errorf("representor %s of VF 2 still there after --vfs 1", vfs[2].Rep)
			}
		})
	}
}
