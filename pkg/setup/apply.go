package setup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/sriov"
)

// System is what Apply needs from the node; Host is the real one.
type System interface {
	Gather(pf string) Facts
	SetNumVFs(pf string, n int) error
	SetSwitchdev(pci string) error
	SetHWTCOffload(dev string) error
	LinkUp(dev string) error
}

// DefaultRepWait is how long setup-pf lets Apply wait for VF representors
// to appear after it created VFs or switched to switchdev mode.
const DefaultRepWait = 5 * time.Second

// Apply brings PF pf to want VFs in switchdev mode: it gathers the facts,
// plans, runs the first step that can run, and starts over until nothing
// is left that it can do. It returns the steps it ran (the last one failed
// when err is not nil) and, when it got that far, the steps the last plan
// says cannot be checked or done on this node. repWait bounds the wait for
// representors after a step that creates them.
func Apply(sys System, pf string, want int, repWait time.Duration) (done, cannot []Step, err error) {
	var last *Step
	// Each step changes one thing; a PF with n VFs needs at most
	// 2 (VFs) + 1 (eswitch) + 1 (hw-tc-offload) + 1 (uplink) + n steps.
	for range 2 + 1 + 1 + 1 + want + 2 {
		steps, err := Plan(sys.Gather(pf), want, false)
		// Representors appear (and udev renames them) a little after the
		// VFs or switchdev mode are created: give them time.
		for deadline := time.Now().Add(repWait); errors.Is(err, ErrNoRep) && last != nil &&
			(last.Action == ActNumVFs || last.Action == ActSwitchdev) && time.Now().Before(deadline); {
			time.Sleep(repWait / 25)
			steps, err = Plan(sys.Gather(pf), want, false)
		}
		if err != nil {
			return done, nil, err
		}
		todo, cannot := Split(steps)
		if len(todo) == 0 {
			return done, cannot, nil
		}
		s := todo[0]
		if last != nil && last.same(s) {
			return done, nil, fmt.Errorf("%s: %w: it is still to do after it succeeded", s.Detail, ErrNoEffect)
		}
		if err := run(sys, s); err != nil {
			return done, nil, err
		}
		done = append(done, s)
		last = &done[len(done)-1]
	}
	return done, nil, fmt.Errorf("PF %s: still not set up after %d steps", pf, len(done))
}

func run(sys System, s Step) error {
	switch s.Action {
	case ActNumVFs:
		return sys.SetNumVFs(s.Device, s.Value)
	case ActSwitchdev:
		return sys.SetSwitchdev(s.Device)
	case ActHWTC:
		return sys.SetHWTCOffload(s.Device)
	case ActLinkUp:
		return sys.LinkUp(s.Device)
	}
	return fmt.Errorf("unknown step %q", s.Action)
}

// Host is the node itself: sysfs, devlink over netlink, ethtool ioctls.
type Host struct{}

var _ System = Host{}

// Gather implements System.
func (Host) Gather(pf string) Facts { return Gather(pf) }

// SetNumVFs writes n to /sys/class/net/<pf>/device/sriov_numvfs.
func (Host) SetNumVFs(pf string, n int) error {
	p := filepath.Join(sriov.ClassNet, pf, "device", "sriov_numvfs")
	fh, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("PF %s: set sriov_numvfs to %d: %w", pf, n, err)
	}
	_, werr := fh.Write([]byte(strconv.Itoa(n)))
	cerr := fh.Close()
	if werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("PF %s: set sriov_numvfs to %d: %w", pf, n, werr)
	}
	return nil
}

// SetSwitchdev sets the devlink eswitch mode of pci/<pci> to switchdev.
func (Host) SetSwitchdev(pci string) error {
	d, err := netlink.DevLinkGetDeviceByName("pci", pci)
	if err != nil {
		return fmt.Errorf("devlink pci/%s: %w", pci, err)
	}
	if err := netlink.DevLinkSetEswitchMode(d, EswitchSwitchdev); err != nil {
		return fmt.Errorf("devlink pci/%s: set eswitch mode switchdev: %w", pci, err)
	}
	return nil
}

// SetHWTCOffload turns the hw-tc-offload feature of dev on.
func (Host) SetHWTCOffload(dev string) error {
	et, err := ethtool.NewEthtool()
	if err != nil {
		return fmt.Errorf("%s: hw-tc-offload: ethtool: %w", dev, err)
	}
	defer et.Close()
	if err := et.Change(dev, map[string]bool{"hw-tc-offload": true}); err != nil {
		return fmt.Errorf("%s: turn on hw-tc-offload: %w", dev, err)
	}
	return nil
}

// LinkUp sets dev administratively up.
func (Host) LinkUp(dev string) error {
	l, err := netlink.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("link %s: %w", dev, err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("link %s: set up: %w", dev, err)
	}
	return nil
}
