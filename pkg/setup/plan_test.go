package setup

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// ready is an Agilio PF with 4 VFs, fully set up.
func ready() Facts {
	f := Facts{PF: "ens47np0", Exists: true, PCI: "0000:03:00.0", SRIOV: true, TotalVFs: 65, NumVFs: 4,
		Driver: "nfp", Firmware: "0.0.3.5 0.25 sriov-2.1.16 flower", Eswitch: EswitchSwitchdev,
		Uplink: "ens47np0", UplinkUp: true, HWTCOffload: FeatureOn}
	for i := range 4 {
		f.Reps = append(f.Reps, Rep{Index: i, Name: fmt.Sprintf("eth%d", i), Up: true})
	}
	return f
}

func actions(steps []Step) string {
	var s []string
	for _, st := range steps {
		a := string(st.Action)
		if st.Action == ActNumVFs {
			a += fmt.Sprintf("=%d", st.Value)
		}
		if st.Fail != "" {
			a += "!"
		}
		if st.Cannot != "" {
			a += "~"
		}
		s = append(s, a+"("+st.Device+")")
	}
	return strings.Join(s, " ")
}

func TestPlanPFErrors(t *testing.T) {
	for _, dry := range []bool{false, true} {
		f := ready()
		f.SRIOV, f.TotalVFs = false, 0
		if _, err := Plan(f, 4, dry); !errors.Is(err, ErrNotSRIOV) || err.Error() != "PF ens47np0 is not SR-IOV capable (no device/sriov_totalvfs)" {
			t.Errorf("dry=%v not SR-IOV: %v", dry, err)
		}
		f = ready()
		if _, err := Plan(f, 66, dry); !errors.Is(err, ErrTooManyVFs) || !strings.Contains(err.Error(), "66 VFs requested but sriov_totalvfs is 65") {
			t.Errorf("dry=%v too many: %v", dry, err)
		}
		if _, err := Plan(f, 0, dry); !errors.Is(err, ErrBadVFCount) {
			t.Errorf("dry=%v 0 VFs: %v", dry, err)
		}
		f.Exists = false
		if _, err := Plan(f, 4, dry); !errors.Is(err, ErrNoSuchNetdev) {
			t.Errorf("dry=%v missing: %v", dry, err)
		}
	}
	if _, err := Plan(ready(), 65, false); err != nil {
		t.Errorf("65 of 65: %v", err)
	}
}

// eswitchBed stands, in the table below, for the test bed's PF: no devlink
// device, but the uplink representor is in sysfs. EswitchNone there means
// no devlink device and no uplink representor either.
const eswitchBed = "bed"

// TestPlanCombinations covers numvfs 0/N/other × eswitch
// legacy/switchdev/none/bed × hw-tc-offload on/off/fixed/unknown × dry run.
// In the wanted actions "!" marks a step that would fail, "~" one that
// cannot be checked or done here.
func TestPlanCombinations(t *testing.T) {
	type c struct {
		numvfs  int
		eswitch string
		hwtc    string
		dry     bool
		want    string // actions, "" for nothing to do
		err     error
	}
	const up = " link-up((representors))"
	cases := []c{
		// Settled VF count and switchdev: only hw-tc-offload may be left.
		{4, EswitchSwitchdev, FeatureOn, false, "", nil},
		{4, EswitchSwitchdev, FeatureOn, true, "", nil},
		{4, EswitchSwitchdev, FeatureOff, false, "hw-tc-offload(ens47np0)", nil},
		{4, EswitchSwitchdev, FeatureOff, true, "hw-tc-offload(ens47np0)", nil},
		{4, EswitchSwitchdev, FeatureUnknown, false, "hw-tc-offload(ens47np0)", nil},
		{4, EswitchSwitchdev, FeatureFixed, false, "hw-tc-offload~(ens47np0)", nil},
		{4, EswitchSwitchdev, FeatureFixed, true, "hw-tc-offload~(ens47np0)", nil},
		// No VFs yet.
		{0, EswitchSwitchdev, FeatureOn, false, "sriov_numvfs=4(ens47np0)", nil},
		{0, EswitchSwitchdev, FeatureOff, true, "sriov_numvfs=4(ens47np0) hw-tc-offload(ens47np0)" + up, nil},
		{0, EswitchLegacy, FeatureOff, false, "sriov_numvfs=4(ens47np0) eswitch(0000:03:00.0)", nil},
		{0, EswitchLegacy, FeatureOn, true, "sriov_numvfs=4(ens47np0) eswitch(0000:03:00.0) hw-tc-offload((uplink))" + up, nil},
		{0, EswitchNone, FeatureOff, false, "", ErrNoEswitch},
		{0, EswitchNone, FeatureOff, true, "sriov_numvfs=4(ens47np0) eswitch!(0000:03:00.0) hw-tc-offload((uplink))" + up, nil},
		{0, eswitchBed, FeatureFixed, false, "sriov_numvfs=4(ens47np0) eswitch~(0000:03:00.0)", nil},
		{0, eswitchBed, FeatureFixed, true, "sriov_numvfs=4(ens47np0) eswitch~(0000:03:00.0) hw-tc-offload~(ens47np0)" + up, nil},
		// Another VF count: 0 first.
		{2, EswitchSwitchdev, FeatureOn, false, "sriov_numvfs=0(ens47np0) sriov_numvfs=4(ens47np0)", nil},
		{2, EswitchLegacy, FeatureOn, false, "sriov_numvfs=0(ens47np0) sriov_numvfs=4(ens47np0) eswitch(0000:03:00.0)", nil},
		{7, EswitchLegacy, FeatureOff, true, "sriov_numvfs=0(ens47np0) sriov_numvfs=4(ens47np0) eswitch(0000:03:00.0) hw-tc-offload((uplink))" + up, nil},
		{7, EswitchNone, FeatureOn, false, "", ErrNoEswitch},
		{7, EswitchNone, FeatureOn, true, "sriov_numvfs=0(ens47np0) sriov_numvfs=4(ens47np0) eswitch!(0000:03:00.0) hw-tc-offload((uplink))" + up, nil},
		{2, eswitchBed, FeatureFixed, false, "sriov_numvfs=0(ens47np0) sriov_numvfs=4(ens47np0) eswitch~(0000:03:00.0)", nil},
		// Right VF count, eswitch not switchdev.
		{4, EswitchLegacy, FeatureOn, false, "eswitch(0000:03:00.0)", nil},
		{4, EswitchNone, FeatureOn, false, "", ErrNoEswitch},
		// The test bed with its VFs: only what it cannot do is left.
		{4, eswitchBed, FeatureFixed, true, "eswitch~(0000:03:00.0) hw-tc-offload~(ens47np0)", nil},
		{4, eswitchBed, FeatureFixed, false, "eswitch~(0000:03:00.0) hw-tc-offload~(ens47np0)", nil},
		{4, eswitchBed, FeatureOn, false, "eswitch~(0000:03:00.0)", nil},
		{4, eswitchBed, FeatureOff, false, "eswitch~(0000:03:00.0) hw-tc-offload(ens47np0)", nil},
	}
	for _, tc := range cases {
		f := ready()
		f.NumVFs, f.Eswitch, f.HWTCOffload = tc.numvfs, tc.eswitch, tc.hwtc
		if tc.eswitch == eswitchBed {
			f.Eswitch = EswitchNone
		}
		if tc.eswitch == EswitchLegacy || tc.eswitch == EswitchNone || tc.numvfs != 4 {
			f.Reps = nil
		}
		if tc.eswitch == EswitchLegacy || tc.eswitch == EswitchNone {
			f.Uplink = ""
		}
		name := fmt.Sprintf("numvfs=%d/eswitch=%q/hwtc=%q/dry=%v", tc.numvfs, tc.eswitch, tc.hwtc, tc.dry)
		steps, err := Plan(f, 4, tc.dry)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: err %v, want %v", name, err, tc.err)
			continue
		}
		if got := actions(steps); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, tc.want)
		}
	}
}

func TestPlanNoEswitchMessage(t *testing.T) {
	f := ready()
	f.Eswitch, f.EswitchErr, f.Uplink, f.Reps = EswitchNone, "devlink pci/0000:03:00.0: no such device", "", nil
	_, err := Plan(f, 4, false)
	want := "NIC ens47np0 (0000:03:00.0) has no devlink eswitch (devlink pci/0000:03:00.0: no such device) and no uplink representor: switchdev mode is not available"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	steps, err := Plan(f, 4, true)
	if err != nil || len(steps) != 3 || steps[0].Fail != want {
		t.Errorf("dry run: %v %+v", err, steps)
	}
}

// TestPlanCannotMessages: what a PF like the test bed's gets told.
func TestPlanCannotMessages(t *testing.T) {
	f := ready()
	f.Eswitch, f.EswitchErr, f.HWTCOffload = EswitchNone, "devlink pci/0000:03:00.0: no such device", FeatureFixed
	for _, dry := range []bool{false, true} {
		steps, err := Plan(f, 4, dry)
		if err != nil || len(steps) != 2 {
			t.Fatalf("dry=%v: %v %+v", dry, err, steps)
		}
		want := []string{
			"check that the eswitch of ens47np0 (pci/0000:03:00.0) is in switchdev mode — cannot check or change it here: " +
				"devlink pci/0000:03:00.0: no such device; sysfs shows the uplink " +
				"representor ens47np0 (phys_port_name and phys_switch_id), which a NIC exposes only in switchdev mode",
			"turn on hw-tc-offload of ens47np0 — cannot change it here: hw-tc-offload of ens47np0 is off [fixed], its driver does not offer TC offload on it",
		}
		for i, s := range steps {
			if s.String() != want[i] || s.Fail != "" {
				t.Errorf("dry=%v step %d:\n got %s\nwant %s", dry, i, s, want[i])
			}
		}
		if todo, cannot := Split(steps); len(todo) != 0 || len(cannot) != 2 {
			t.Errorf("Split: %d to do, %d cannot", len(todo), len(cannot))
		}
	}
}

func TestPlanLinks(t *testing.T) {
	f := ready()
	f.UplinkUp = false
	f.Reps[1].Up = false
	f.Reps[3].Up = false
	steps, err := Plan(f, 4, false)
	if err != nil || actions(steps) != "link-up(ens47np0) link-up(eth1) link-up(eth3)" {
		t.Errorf("%v %s", err, actions(steps))
	}
	f = ready()
	f.Reps[2].Name = ""
	if _, err := Plan(f, 4, false); !errors.Is(err, ErrNoRep) {
		t.Errorf("missing representor: %v", err)
	}
	steps, err = Plan(f, 4, true)
	if err != nil || actions(steps) != "link-up!((VF 2 representor))" {
		t.Errorf("dry run missing representor: %v %s", err, actions(steps))
	}
}

func TestNotes(t *testing.T) {
	f := ready()
	if n := Notes(f); len(n) != 1 || !strings.Contains(n[0], "flower firmware") || !strings.Contains(n[0], "pci-0000:03:00.0.nffw") ||
		!strings.Contains(n[0], "is a flower firmware") {
		t.Errorf("nfp flower: %q", n)
	}
	f.Firmware = "0.0.3.5 0.25 nic-2.1.16"
	if n := Notes(f); !strings.Contains(n[0], "does not name flower") {
		t.Errorf("nfp without flower: %q", n)
	}
	f.Driver = "mlx5_core"
	if n := Notes(f); !strings.Contains(n[0], "Corigine Agilio (nfp)") {
		t.Errorf("mlx5: %q", n)
	}
}

func TestDryRunText(t *testing.T) {
	f := ready()
	f.NumVFs, f.Eswitch, f.HWTCOffload, f.Reps, f.Uplink = 2, EswitchLegacy, FeatureOff, nil, ""
	sys := &fakeSys{f: f}
	var out, errb bytes.Buffer
	code := run1(sys, []string{"--pf", "ens47np0", "--vfs", "4", "--dry-run"}, &out, &errb)
	want := `PF ens47np0 (0000:03:00.0): driver nfp, VFs 2 of 65, eswitch legacy, uplink none yet, hw-tc-offload off
dry run: to get 4 VFs in switchdev mode, setup-pf would:
  1. set sriov_numvfs of ens47np0 (0000:03:00.0) to 0: the kernel requires 0 before changing 2 VFs to 4
  2. set sriov_numvfs of ens47np0 (0000:03:00.0) to 4 (sriov_totalvfs 65)
  3. switch the eswitch of ens47np0 (pci/0000:03:00.0) from legacy to switchdev
  4. turn on hw-tc-offload of the uplink of ens47np0 once it exists (now off on ens47np0)
  5. bring up the uplink and the representors of VFs 0..3 of ens47np0 once they exist
note: Corigine Agilio (nfp): the flower firmware must be selected before this, by hand: link /lib/firmware/netronome/pci-0000:03:00.0.nffw to flower/nic_<ASSY>.nffw with the vendor's agilio-tc-fw-select.sh (see the Agilio Open vSwitch TC User Guide), then reload the nfp driver (rmmod nfp; modprobe nfp); vf-offload does not change firmware (the loaded firmware "0.0.3.5 0.25 sriov-2.1.16 flower" is a flower firmware)
`
	if code != 0 || out.String() != want || errb.Len() != 0 {
		t.Errorf("code %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errb.String(), out.String(), want)
	}
	if len(sys.calls) != 0 {
		t.Errorf("dry run changed something: %v", sys.calls)
	}

	f.Eswitch, f.EswitchErr = EswitchNone, "devlink pci/0000:03:00.0: no such device"
	out.Reset()
	code = run1(&fakeSys{f: f}, []string{"--pf", "ens47np0", "--vfs", "4", "--dry-run"}, &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "eswitch none (no devlink device)") ||
		!strings.Contains(out.String(), "3. switch the eswitch of ens47np0 (pci/0000:03:00.0) to switchdev — would fail: NIC ens47np0 (0000:03:00.0) has no devlink eswitch") {
		t.Errorf("no devlink: code %d\n%s", code, out.String())
	}

	out.Reset()
	errb.Reset()
	if code := run1(&fakeSys{f: ready()}, []string{"--pf", "ens47np0", "--vfs", "4"}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "nothing to do: 4 VFs, switchdev, hw-tc-offload on, uplink and representors up") {
		t.Errorf("ready: code %d\n%s", code, out.String())
	}
	for _, args := range [][]string{{"--vfs", "4"}, {"--pf", "x"}, {"--pf", "x", "--vfs", "0"}, {"--bogus"}, {"--pf", "x", "--vfs", "1", "extra"}} {
		out.Reset()
		errb.Reset()
		if code := run1(&fakeSys{f: ready()}, args, &out, &errb); code != 2 || out.Len() != 0 ||
			!strings.HasSuffix(errb.String(), "Run 'vf-offload setup-pf --help' for usage.\n") || strings.Count(errb.String(), "\n") != 2 {
			t.Errorf("%v: code %d, stdout %q, stderr %q; want 2, one line and the hint on stderr", args, code, out.String(), errb.String())
		}
	}
	for _, h := range []string{"--help", "-h"} {
		out.Reset()
		errb.Reset()
		if code := run1(&fakeSys{f: ready()}, []string{h}, &out, &errb); code != 0 || errb.Len() != 0 ||
			!strings.HasPrefix(out.String(), "usage: vf-offload setup-pf --pf NETDEV --vfs N") || !strings.Contains(out.String(), "-dry-run") {
			t.Errorf("%s: code %d, stdout %q, stderr %q; want 0 and the usage on stdout", h, code, out.String(), errb.String())
		}
	}
}
