// Package setup prepares a switchdev SmartNIC's PF for vf-offload on one
// node, the per-node steps of the Kube-OVN offload guide: create the VFs
// (sriov_numvfs), switch the eswitch to switchdev (devlink), turn on
// hw-tc-offload on the uplink (ethtool) and bring the uplink and the VF
// representors up (netlink). Firmware selection for Corigine Agilio (the
// flower firmware) stays a manual step.
//
// The work is split into a pure planner (Plan: facts -> steps), a gatherer of
// facts (Gather) and an executor (Apply) that re-gathers and re-plans after
// every step, so a run converges and a second run has nothing to do.
package setup

import (
	"errors"
	"fmt"
	"strings"
)

// Eswitch modes as devlink reports them; EswitchNone means devlink has no
// device for the PF's PCI address.
const (
	EswitchSwitchdev = "switchdev"
	EswitchLegacy    = "legacy"
	EswitchNone      = ""
)

// hw-tc-offload states in Facts.HWTCOffload.
const (
	FeatureOn      = "on"
	FeatureOff     = "off"
	FeatureFixed   = "off [fixed]" // the driver cannot change it
	FeatureUnknown = ""            // ethtool could not tell
)

// Errors the planner returns; callers can test them with errors.Is.
var (
	ErrNotSRIOV     = errors.New("not SR-IOV capable")
	ErrTooManyVFs   = errors.New("more VFs than sriov_totalvfs")
	ErrNoEswitch    = errors.New("no devlink eswitch")
	ErrNoRep        = errors.New("no VF representor")
	ErrBadVFCount   = errors.New("the number of VFs must be at least 1")
	ErrNoEffect     = errors.New("step had no effect")
	ErrNoSuchNetdev = errors.New("no such netdev")
)

// Rep is one VF representor as found now.
type Rep struct {
	Index int    `json:"index"`
	Name  string `json:"name,omitempty"` // "" when none was found
	Up    bool   `json:"up"`
}

// Facts is what the node looks like now, for one PF.
type Facts struct {
	PF       string `json:"pf"`
	Exists   bool   `json:"exists"` // /sys/class/net/<pf> exists
	PCI      string `json:"pci,omitempty"`
	SRIOV    bool   `json:"sriov"` // device/sriov_totalvfs exists
	TotalVFs int    `json:"totalVfs"`
	NumVFs   int    `json:"numVfs"`
	Driver   string `json:"driver,omitempty"`
	Firmware string `json:"firmware,omitempty"`
	// Eswitch is the devlink eswitch mode, EswitchNone when devlink has no
	// device for PCI; EswitchErr says why.
	Eswitch    string `json:"eswitch"`
	EswitchErr string `json:"eswitchError,omitempty"`
	// Uplink is the uplink representor (phys_port_name pN) found by
	// sriovnet, "" before switchdev mode.
	Uplink   string `json:"uplink,omitempty"`
	UplinkUp bool   `json:"uplinkUp"`
	// HWTCOffload is the hw-tc-offload feature of the uplink (of the PF
	// when there is no uplink yet).
	HWTCOffload string `json:"hwTcOffload"`
	Reps        []Rep  `json:"reps,omitempty"` // one per VF index < NumVFs
}

// Action names a kind of step.
type Action string

const (
	ActNumVFs    Action = "sriov_numvfs"
	ActSwitchdev Action = "eswitch"
	ActHWTC      Action = "hw-tc-offload"
	ActLinkUp    Action = "link-up"
)

// Step is one change. Fail, set only in dry-run plans, says why the step
// would fail (a real run stops with that error before any change). Cannot
// says why setup-pf cannot check or make this change on this node; such a
// step is never run, does not stop the others, and makes the exit code 1.
// Value is the sriov_numvfs value for ActNumVFs.
type Step struct {
	Action Action `json:"action"`
	Device string `json:"device"`
	Value  int    `json:"value,omitempty"`
	Detail string `json:"detail"`
	Fail   string `json:"wouldFail,omitempty"`
	Cannot string `json:"cannot,omitempty"`
}

func (s Step) String() string {
	switch {
	case s.Fail != "":
		return s.Detail + " — would fail: " + s.Fail
	case s.Cannot != "":
		return s.Detail + " — " + s.Cannot
	}
	return s.Detail
}

// Split separates the steps that can run from those that cannot be done
// here (Cannot set).
func Split(steps []Step) (todo, cannot []Step) {
	for _, s := range steps {
		if s.Cannot != "" {
			cannot = append(cannot, s)
		} else {
			todo = append(todo, s)
		}
	}
	return todo, cannot
}

// eswitchUnchecked reports a PF whose eswitch mode devlink cannot tell
// (no devlink device) but whose uplink representor sysfs shows: sriovnet
// found a netdev of the PF with phys_port_name pN and a phys_switch_id,
// which NICs only expose in switchdev mode. The emulated NIC of the test
// bed is such a PF.
func eswitchUnchecked(f Facts) bool { return f.Eswitch == EswitchNone && f.Uplink != "" }

// same reports whether two steps do the same change (used to detect a step
// that had no effect).
func (s Step) same(o Step) bool {
	return s.Action == o.Action && s.Device == o.Device && s.Value == o.Value
}

// Plan returns the steps that bring the PF described by f to want VFs, in
// switchdev mode, with hw-tc-offload on and the uplink and representors up.
// An empty list means nothing to do. Without dryRun it returns an error as
// soon as a step cannot succeed, before any change is made; with dryRun such
// steps are listed with Fail set and the error is nil unless the PF itself
// is unusable (missing, not SR-IOV capable, too many VFs). Steps that this
// node cannot check or do (Cannot set: hw-tc-offload fixed off, an eswitch
// that devlink does not show but sysfs shows in switchdev mode) are listed
// in both modes and do not stop the others.
func Plan(f Facts, want int, dryRun bool) ([]Step, error) {
	if want < 1 {
		return nil, fmt.Errorf("--vfs %d: %w", want, ErrBadVFCount)
	}
	if !f.Exists {
		return nil, fmt.Errorf("PF %s: %w", f.PF, ErrNoSuchNetdev)
	}
	if !f.SRIOV {
		return nil, fmt.Errorf("PF %s is %w (no device/sriov_totalvfs)", f.PF, ErrNotSRIOV)
	}
	if want > f.TotalVFs {
		return nil, fmt.Errorf("PF %s: %d VFs requested but sriov_totalvfs is %d: %w", f.PF, want, f.TotalVFs, ErrTooManyVFs)
	}
	var steps []Step
	fail := func(err error) (string, error) {
		if dryRun {
			return err.Error(), nil
		}
		return "", err
	}

	// 1. VFs.
	vfsChange := f.NumVFs != want
	if vfsChange && f.NumVFs != 0 {
		steps = append(steps, Step{Action: ActNumVFs, Device: f.PF, Value: 0,
			Detail: fmt.Sprintf("set sriov_numvfs of %s (%s) to 0: the kernel requires 0 before changing %d VFs to %d", f.PF, f.PCI, f.NumVFs, want)})
	}
	if vfsChange {
		steps = append(steps, Step{Action: ActNumVFs, Device: f.PF, Value: want,
			Detail: fmt.Sprintf("set sriov_numvfs of %s (%s) to %d (sriov_totalvfs %d)", f.PF, f.PCI, want, f.TotalVFs)})
	}

	// 2. Eswitch mode.
	why := ""
	if f.EswitchErr != "" {
		why = " (" + f.EswitchErr + ")"
	}
	switch {
	case f.Eswitch == EswitchSwitchdev:
	case eswitchUnchecked(f):
		dl := f.EswitchErr
		if dl == "" {
			dl = "devlink has no device for pci/" + f.PCI
		}
		steps = append(steps, Step{Action: ActSwitchdev, Device: f.PCI,
			Detail: fmt.Sprintf("check that the eswitch of %s (pci/%s) is in switchdev mode", f.PF, f.PCI),
			Cannot: fmt.Sprintf("cannot check or change it here: %s; "+
				"sysfs shows the uplink representor %s (phys_port_name and phys_switch_id), which a NIC exposes only in switchdev mode",
				dl, f.Uplink)})
	case f.Eswitch == EswitchNone:
		msg, err := fail(fmt.Errorf("NIC %s (%s) has %w%s and no uplink representor: switchdev mode is not available", f.PF, f.PCI, ErrNoEswitch, why))
		if err != nil {
			return nil, err
		}
		steps = append(steps, Step{Action: ActSwitchdev, Device: f.PCI,
			Detail: fmt.Sprintf("switch the eswitch of %s (pci/%s) to switchdev", f.PF, f.PCI), Fail: msg})
	default:
		steps = append(steps, Step{Action: ActSwitchdev, Device: f.PCI,
			Detail: fmt.Sprintf("switch the eswitch of %s (pci/%s) from %s to switchdev", f.PF, f.PCI, f.Eswitch)})
	}

	// Until the VF count is right and the eswitch in switchdev mode, the
	// uplink and representors are not final: Apply runs the first step and
	// plans again; the dry run says what it will do once they exist.
	eswOK := f.Eswitch == EswitchSwitchdev || eswitchUnchecked(f)
	settled := !vfsChange && eswOK
	if !settled && !dryRun {
		return steps, nil
	}

	// 3. hw-tc-offload on the uplink.
	dev := orPF(f)
	switch {
	case f.Uplink == "" || !eswOK:
		steps = append(steps, Step{Action: ActHWTC, Device: "(uplink)",
			Detail: fmt.Sprintf("turn on hw-tc-offload of the uplink of %s once it exists (now %s on %s)", f.PF, orUnknown(f.HWTCOffload), dev)})
	case f.HWTCOffload == FeatureOn:
	case f.HWTCOffload == FeatureFixed:
		steps = append(steps, Step{Action: ActHWTC, Device: dev, Detail: fmt.Sprintf("turn on hw-tc-offload of %s", dev),
			Cannot: fmt.Sprintf("cannot change it here: hw-tc-offload of %s is off [fixed], its driver does not offer TC offload on it", dev)})
	default:
		steps = append(steps, Step{Action: ActHWTC, Device: dev,
			Detail: fmt.Sprintf("turn on hw-tc-offload of %s (now %s)", dev, orUnknown(f.HWTCOffload))})
	}

	// 4. Links up.
	if !settled {
		what := "the uplink and the representors"
		if f.Uplink != "" && f.UplinkUp {
			what = "the representors"
		}
		return append(steps, Step{Action: ActLinkUp, Device: "(representors)",
			Detail: fmt.Sprintf("bring up %s of VFs 0..%d of %s once they exist", what, want-1, f.PF)}), nil
	}
	if f.Uplink != "" && !f.UplinkUp {
		steps = append(steps, Step{Action: ActLinkUp, Device: f.Uplink, Detail: fmt.Sprintf("bring up uplink %s", f.Uplink)})
	}
	for _, r := range f.Reps {
		if r.Index >= want {
			continue
		}
		if r.Name == "" {
			msg, err := fail(fmt.Errorf("VF %d of %s: %w found through sriovnet", r.Index, f.PF, ErrNoRep))
			if err != nil {
				return nil, err
			}
			steps = append(steps, Step{Action: ActLinkUp, Device: fmt.Sprintf("(VF %d representor)", r.Index),
				Detail: fmt.Sprintf("bring up the representor of VF %d", r.Index), Fail: msg})
			continue
		}
		if !r.Up {
			steps = append(steps, Step{Action: ActLinkUp, Device: r.Name, Detail: fmt.Sprintf("bring up representor %s of VF %d", r.Name, r.Index)})
		}
	}
	return steps, nil
}

// Notes are the manual steps vf-offload does not do, for the facts at hand.
func Notes(f Facts) []string {
	fw := "Corigine Agilio (nfp): the flower firmware must be selected before this, by hand: link " +
		"/lib/firmware/netronome/pci-<PCI>.nffw to flower/nic_<ASSY>.nffw with the vendor's agilio-tc-fw-select.sh " +
		"(see the Agilio Open vSwitch TC User Guide), then reload the nfp driver (rmmod nfp; modprobe nfp); vf-offload does not change firmware"
	if f.PCI != "" {
		fw = strings.Replace(fw, "<PCI>", f.PCI, 1)
	}
	if f.Driver != "nfp" {
		return []string{fw}
	}
	if strings.Contains(f.Firmware, "flower") {
		return []string{fw + fmt.Sprintf(" (the loaded firmware %q is a flower firmware)", f.Firmware)}
	}
	return []string{fw + fmt.Sprintf(" — the loaded firmware %q does not name flower: select it first", f.Firmware)}
}

func orPF(f Facts) string {
	if f.Uplink != "" {
		return f.Uplink
	}
	return f.PF
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
