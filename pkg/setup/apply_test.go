package setup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// wait bounds Apply's wait for late representors in these tests.
const wait = 250 * time.Millisecond

// fakeSys is a node in memory: each change updates the facts the way the
// kernel would (VF count changes need 0 first; representors appear in
// switchdev mode with VFs).
type fakeSys struct {
	f         Facts
	calls     []string
	noEffect  bool  // changes "succeed" without effect
	failOn    error // returned by every change
	repsStart bool  // new representors come up by themselves
	noDevlink bool  // like the test bed: no devlink, representors anyway
}

func (s *fakeSys) Gather(pf string) Facts {
	f := s.f
	f.Reps = append([]Rep(nil), s.f.Reps...)
	return f
}

func (s *fakeSys) change(c string, do func() error) error {
	s.calls = append(s.calls, c)
	if s.failOn != nil {
		return s.failOn
	}
	if s.noEffect {
		return nil
	}
	return do()
}

func (s *fakeSys) reps() {
	s.f.Reps = nil
	s.f.Uplink = ""
	if s.f.Eswitch != EswitchSwitchdev && !s.noDevlink {
		return
	}
	s.f.Uplink = s.f.PF
	for i := range s.f.NumVFs {
		s.f.Reps = append(s.f.Reps, Rep{Index: i, Name: fmt.Sprintf("eth%d", i), Up: s.repsStart})
	}
}

func (s *fakeSys) SetNumVFs(pf string, n int) error {
	return s.change(fmt.Sprintf("numvfs %s %d", pf, n), func() error {
		if s.f.NumVFs != 0 && n != 0 {
			return errors.New("device or resource busy")
		}
		s.f.NumVFs = n
		s.reps()
		return nil
	})
}

func (s *fakeSys) SetSwitchdev(pci string) error {
	return s.change("switchdev "+pci, func() error {
		s.f.Eswitch = EswitchSwitchdev
		s.reps()
		return nil
	})
}

func (s *fakeSys) SetHWTCOffload(dev string) error {
	return s.change("hwtc "+dev, func() error { s.f.HWTCOffload = FeatureOn; return nil })
}

func (s *fakeSys) LinkUp(dev string) error {
	return s.change("up "+dev, func() error {
		if dev == s.f.Uplink {
			s.f.UplinkUp = true
		}
		for i := range s.f.Reps {
			if s.f.Reps[i].Name == dev {
				s.f.Reps[i].Up = true
			}
		}
		return nil
	})
}

func TestApplyConverges(t *testing.T) {
	f := ready()
	f.NumVFs, f.Eswitch, f.HWTCOffload, f.Reps, f.Uplink, f.UplinkUp = 2, EswitchLegacy, FeatureOff, nil, "", false
	sys := &fakeSys{f: f}
	done, _, err := Apply(sys, f.PF, 3, wait)
	if err != nil {
		t.Fatalf("Apply: %v (calls %v)", err, sys.calls)
	}
	want := "numvfs ens47np0 0,numvfs ens47np0 3,switchdev 0000:03:00.0,hwtc ens47np0,up ens47np0,up eth0,up eth1,up eth2"
	if got := strings.Join(sys.calls, ","); got != want {
		t.Errorf("calls\n got %s\nwant %s", got, want)
	}
	if len(done) != len(sys.calls) {
		t.Errorf("done %d steps, %d calls", len(done), len(sys.calls))
	}
	// Idempotent: a second run changes nothing.
	sys.calls = nil
	if done, _, err := Apply(sys, f.PF, 3, wait); err != nil || len(done) != 0 || len(sys.calls) != 0 {
		t.Errorf("second run: %v %v %v", done, err, sys.calls)
	}
}

func TestApplyNoEswitchChangesNothing(t *testing.T) {
	f := ready()
	f.NumVFs, f.Eswitch, f.Uplink, f.Reps = 0, EswitchNone, "", nil
	sys := &fakeSys{f: f}
	if _, _, err := Apply(sys, f.PF, 2, wait); !errors.Is(err, ErrNoEswitch) || len(sys.calls) != 0 {
		t.Errorf("err %v, calls %v", err, sys.calls)
	}
}

// TestApplyNoDevlink: a PF like the test bed's (no devlink device, the
// representors in sysfs, hw-tc-offload off [fixed]) gets its VFs and links
// up; what cannot be done is returned, never run, and the run exits 1.
func TestApplyNoDevlink(t *testing.T) {
	f := ready()
	f.NumVFs, f.Eswitch, f.HWTCOffload, f.UplinkUp = 1, EswitchNone, FeatureFixed, false
	sys := &fakeSys{f: f, noDevlink: true}
	sys.reps()
	done, cannot, err := Apply(sys, f.PF, 3, wait)
	if err != nil {
		t.Fatalf("Apply: %v (calls %v)", err, sys.calls)
	}
	want := "numvfs ens47np0 0,numvfs ens47np0 3,up ens47np0,up eth0,up eth1,up eth2"
	if got := strings.Join(sys.calls, ","); got != want || len(done) != 6 {
		t.Errorf("calls\n got %s\nwant %s", got, want)
	}
	if got := actions(cannot); got != "eswitch~(0000:03:00.0) hw-tc-offload~(ens47np0)" {
		t.Errorf("cannot: %s", got)
	}
	var out, errb bytes.Buffer
	sys.calls = nil
	code := run1(sys, []string{"--pf", f.PF, "--vfs", "3"}, &out, &errb)
	wantOut := `PF ens47np0 (0000:03:00.0): driver nfp, VFs 3 of 65, eswitch none (no devlink device), uplink ens47np0, hw-tc-offload off [fixed]
nothing to do that can be done here: 3 VFs, uplink and representors up
not done, setup-pf cannot check or change these here (offload needs them):
  - check that the eswitch of ens47np0 (pci/0000:03:00.0) is in switchdev mode — cannot check or change it here: devlink has no device for pci/0000:03:00.0; sysfs shows the uplink representor ens47np0 (phys_port_name and phys_switch_id), which a NIC exposes only in switchdev mode
  - turn on hw-tc-offload of ens47np0 — cannot change it here: hw-tc-offload of ens47np0 is off [fixed], its driver does not offer TC offload on it
`
	wantErr := "vf-offload setup-pf: PF ens47np0 is not ready for offload: 2 step(s) cannot be checked or done here (listed under \"not done\")\n"
	if code != 1 || len(sys.calls) != 0 || !strings.HasPrefix(out.String(), wantOut) || errb.String() != wantErr {
		t.Errorf("second run: code %d, calls %v, stderr %q\n%s\nwant prefix\n%s", code, sys.calls, errb.String(), out.String(), wantOut)
	}
}

func TestApplyErrors(t *testing.T) {
	f := ready()
	f.HWTCOffload = FeatureOff
	sys := &fakeSys{f: f, noEffect: true}
	if _, _, err := Apply(sys, f.PF, 4, wait); !errors.Is(err, ErrNoEffect) || len(sys.calls) != 1 {
		t.Errorf("no effect: %v %v", err, sys.calls)
	}
	boom := errors.New("boom")
	sys = &fakeSys{f: f, failOn: boom}
	if _, _, err := Apply(sys, f.PF, 4, wait); !errors.Is(err, boom) {
		t.Errorf("failing step: %v", err)
	}
}

func TestApplyJSON(t *testing.T) {
	f := ready()
	f.NumVFs, f.Reps = 0, nil
	sys := &fakeSys{f: f, repsStart: true}
	var out, errb bytes.Buffer
	if code := run1(sys, []string{"--pf", f.PF, "--vfs", "2", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("code %d: %s %s", code, out.String(), errb.String())
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.DryRun || r.Error != "" || len(r.Steps) != 1 || r.Steps[0].Action != ActNumVFs || r.Steps[0].Value != 2 || r.Before.NumVFs != 0 {
		t.Errorf("%+v", r)
	}
}

// lateReps hides the representors for the first few gathers after a change.
type lateReps struct {
	*fakeSys
	hide int
}

func (s *lateReps) Gather(pf string) Facts {
	f := s.fakeSys.Gather(pf)
	if s.hide > 0 && f.Eswitch == EswitchSwitchdev && len(f.Reps) > 0 {
		s.hide--
		f.Reps[len(f.Reps)-1].Name = ""
	}
	return f
}

func TestApplyWaitsForRepresentors(t *testing.T) {
	f := ready()
	f.NumVFs, f.Reps = 0, nil
	sys := &lateReps{fakeSys: &fakeSys{f: f, repsStart: true}, hide: 3}
	if done, _, err := Apply(sys, f.PF, 2, wait); err != nil || len(done) != 1 {
		t.Errorf("late representors: %v %v", done, err)
	}
	sys = &lateReps{fakeSys: &fakeSys{f: f, repsStart: true}, hide: 1000}
	if _, _, err := Apply(sys, f.PF, 2, wait); !errors.Is(err, ErrNoRep) {
		t.Errorf("representors never appear: %v", err)
	}
}
