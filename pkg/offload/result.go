package offload

import (
	"fmt"
	"os"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/vf-offload/vf-offload/pkg/config"
)

// newChainedCall is newCall for the verbs that work on Kube-OVN's result
// (ADD, CHECK): it also reads prevResult and resolves the device ID ("" when
// none was given). The caller closes the call.
func (p *Plugin) newChainedCall(args *skel.CmdArgs) (*call, *current.Result, string, error) {
	c, err := p.newCall(args, true)
	if err != nil {
		return nil, nil, "", err
	}
	prev, err := c.prevResult()
	if err == nil {
		var pci string
		if pci, err = c.deviceID(); err == nil {
			return c, prev, pci, nil
		}
	}
	c.close()
	return nil, nil, "", err
}

// prevResult is the chain's result so far, which ADD and CHECK need.
func (c *call) prevResult() (*current.Result, error) {
	prev := c.conf.Prev()
	if prev == nil {
		return nil, types.NewError(types.ErrInvalidNetworkConfig,
			"vf-offload has no prevResult: it must be chained after Kube-OVN", "")
	}
	return prev, nil
}

// podInterface returns the index of the pod's interface ifname in prev, and
// checks that every IP refers to an existing interface.
func podInterface(prev *current.Result, ifname string) (int, error) {
	idx := -1
	for i, it := range prev.Interfaces {
		if it.Name == ifname && it.Sandbox != "" {
			idx = i
		}
	}
	if idx < 0 {
		return 0, fmt.Errorf("prevResult has no interface %q in the pod", ifname)
	}
	for _, ip := range prev.IPs {
		if ip.Interface != nil && (*ip.Interface < 0 || *ip.Interface >= len(prev.Interfaces)) {
			return 0, fmt.Errorf("prevResult IP %s refers to interface %d of %d", ip.Address.String(), *ip.Interface, len(prev.Interfaces))
		}
	}
	return idx, nil
}

// result is prevResult with the pod interface's pciID and MTU set and the
// representor appended as a host interface; IPs, routes and DNS unchanged.
func (a *adding) result() *current.Result {
	res := a.prev
	it := res.Interfaces[a.podIf]
	if ok, _ := version.GreaterThanOrEqualTo(a.conf.CNIVersion, "1.1.0"); ok {
		it.PciID = a.pci // the field exists since CNI 1.1.0
	}
	// The VF carries the pod interface's MAC and MTU, the representor the
	// same MTU (both set by ADD, so nothing needs reading back).
	it.Mtu = a.mtu
	res.Interfaces = append(res.Interfaces, &current.Interface{Name: a.port, Mac: a.repMAC, Mtu: a.mtu})
	return res
}

// recordDeviceInfo adds the representor (the port name) to the device-info
// file Multus handed over, if any; undo puts the file back as it was. A
// file that cannot be updated costs a warning, not the ADD. Each state's
// ADD calls it once.
func (a *adding) recordDeviceInfo() {
	f := a.att.DeviceInfoFile
	if f == "" {
		return
	}
	old, err := addRepresentorToDeviceInfo(f, a.port)
	if err != nil {
		a.log.Warn("could not add representor to device-info file", "file", f, "err", err)
		return
	}
	a.undo.push("device-info file", func() error { return replaceFile(f, old) })
}

// addRepresentorToDeviceInfo adds rep to the device-info file at path and
// returns the file's content before.
func addRepresentorToDeviceInfo(path, rep string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, err := config.AddRepresentor(data, rep)
	if err != nil {
		return nil, err
	}
	return data, replaceFile(path, out)
}

// replaceFile replaces the file at path with data, atomically, keeping its
// permissions.
func replaceFile(path string, data []byte) error {
	mode := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp := path + ".vfo-tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil { // WriteFile's mode passes the umask
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
