package offload_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/setup"
)

// TestSetupPFOnTheBed runs `vf-offload setup-pf` inside the bed. The
// emulated NIC has its VFs, representors and a live sysfs but no devlink
// device and veth netdevs without TC offload, so the dry run must find the
// VF count already right and report, honestly, that switchdev mode and
// hw-tc-offload would fail; a real run must fail before changing anything.
func TestSetupPFOnTheBed(t *testing.T) {
	for _, p := range []nic.Profile{nic.Agilio(), nic.ConnectX5()} {
		t.Run(p.Name, func(t *testing.T) {
			e := newEnv(t, p, 2)
			n := e.b.NIC
			bin := e.b.Bins.Path["vf-offload"]
			run := func(args ...string) (string, string, int) {
				t.Helper()
				var stdout, stderr strings.Builder
				cmd := n.Command(bin, append([]string{"setup-pf"}, args...)...)
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				code := 0
				if err != nil {
					code = cmd.ProcessState.ExitCode()
					if code < 0 {
						t.Fatalf("setup-pf %v: %v", args, err)
					}
				}
				return stdout.String(), stderr.String(), code
			}

			out, stderr, code := run("--pf", n.PFNetdev, "--vfs", "2", "--dry-run")
			t.Logf("setup-pf --pf %s --vfs 2 --dry-run (exit %d):\n%s%s", n.PFNetdev, code, out, stderr)
			if code != 1 {
				t.Errorf("dry run with steps that would fail: exit %d, want 1", code)
			}
			for _, want := range []string{
				"PF " + n.PFNetdev + " (" + n.PFPCI + "): ",
				"VFs 2 of " + strconv.Itoa(p.TotalVFs) + ", eswitch none (no devlink device), uplink " + n.Uplink,
				"dry run: to get 2 VFs in switchdev mode, setup-pf would:",
				"would fail: NIC " + n.PFNetdev + " (" + n.PFPCI + ") has no devlink eswitch",
				"switchdev mode is not available",
				"note: Corigine Agilio (nfp): the flower firmware must be selected before this",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("dry run output lacks %q", want)
				}
			}
			if strings.Contains(out, "sriov_numvfs") {
				t.Errorf("the bed already has 2 VFs, yet the plan changes sriov_numvfs:\n%s", out)
			}

			js, _, _ := run("--pf", n.PFNetdev, "--vfs", "2", "--dry-run", "--json")
			var r setup.Result
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Fatalf("--json: %v\n%s", err, js)
			}
			b := r.Before
			if !r.DryRun || b.PCI != n.PFPCI || !b.SRIOV || b.TotalVFs != p.TotalVFs || b.NumVFs != 2 ||
				b.Eswitch != setup.EswitchNone || b.Uplink != n.Uplink || len(b.Reps) != 2 ||
				b.Reps[0].Name != n.VFs[0].Rep || b.Reps[1].Name != n.VFs[1].Rep {
				t.Errorf("facts on the bed: %+v", b)
			}
			var esw bool
			for _, s := range r.Steps {
				if s.Action == setup.ActSwitchdev && s.Fail != "" {
					esw = true
				}
				if s.Action == setup.ActHWTC && s.Device != n.Uplink {
					t.Errorf("hw-tc-offload step on %s, want the uplink %s", s.Device, n.Uplink)
				}
			}
			if !esw {
				t.Errorf("no failing eswitch step in %+v", r.Steps)
			}

			// A real run fails before any change: no devlink eswitch.
			out, stderr, code = run("--pf", n.PFNetdev, "--vfs", "2")
			if code != 1 || !strings.Contains(stderr, "has no devlink eswitch") || strings.Contains(out, "changed") {
				t.Errorf("real run: exit %d\n%s%s", code, out, stderr)
			}

			out, stderr, code = run("--pf", n.PFNetdev, "--vfs", "999", "--dry-run")
			want := "999 VFs requested but sriov_totalvfs is " + strconv.Itoa(p.TotalVFs)
			if code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("--vfs 999: exit %d, want 1 and %q\n%s%s", code, want, out, stderr)
			}

			for _, dry := range []bool{true, false} {
				args := []string{"--pf", "lo", "--vfs", "2"}
				if dry {
					args = append(args, "--dry-run")
				}
				out, stderr, code = run(args...)
				if code != 1 || !strings.Contains(stderr, "PF lo is not SR-IOV capable") {
					t.Errorf("%v: exit %d\n%s%s", args, code, out, stderr)
				}
			}
			if _, stderr, code = run("--pf", n.PFNetdev); code != 2 {
				t.Errorf("without --vfs: exit %d, want 2\n%s", code, stderr)
			}
		})
	}
}
