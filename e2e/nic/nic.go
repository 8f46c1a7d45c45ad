// Package nic emulates a switchdev SR-IOV NIC in a network namespace, with a
// live fake sysfs served over FUSE (see doc.go).
package nic

import (
	"errors"
	"os/exec"
)

// VF describes one emulated VF with its original names.
type VF struct {
	Index  int
	PCI    string
	Netdev string
	Rep    string
	VFMAC  string
	RepMAC string
}

// NIC is a running emulated NIC.
type NIC struct {
	Profile  Profile
	NodeNS   string
	Dir      string
	PFPCI    string
	PFNetdev string
	Uplink   string
	SwitchID string
	VFs      []VF
	SysfsDir string
}

// Start creates the emulated NIC in nodeNS, serving its sysfs under dir.
func Start(nodeNS string, dir string, p Profile, numVFs int) (*NIC, error) {
	return nil, errors.New("not implemented")
}

// Close unmounts and deletes everything Start made. Idempotent.
func (n *NIC) Close() error { return nil }

// WrapperScript returns a /bin/sh script that runs realBinary inside the bed.
func (n *NIC) WrapperScript(realBinary string) string { return "" }

// Command runs bin inside the bed.
func (n *NIC) Command(bin string, args ...string) *exec.Cmd { return exec.Command(bin, args...) }

// DestroyNetns deletes a pod netns and brings its emulated VFs back.
func (n *NIC) DestroyNetns(nsPath string) (map[string]string, error) {
	return nil, errors.New("not implemented")
}

// VFByPCI returns the VF with the given PCI address.
func (n *NIC) VFByPCI(pci string) (VF, bool) {
	for _, v := range n.VFs {
		if v.PCI == pci {
			return v, true
		}
	}
	return VF{}, false
}
