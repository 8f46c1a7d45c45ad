package nic

import (
	"os/exec"
	"strings"
)

// shq quotes s for /bin/sh.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// prefix is the argv that runs the rest of argv inside the bed: the node
// netns and the NIC's mount namespace (see mntns.go), in the caller's
// working directory.
func (n *NIC) prefix() []string {
	return []string{n.tools.nsenter, "--net=" + n.NodeNS, "--mount=" + n.mntPath, "--wd=.", "--"}
}

// WrapperScript returns a /bin/sh script that runs realBinary with the
// script's arguments, stdin, environment and exit code inside the bed (node
// netns, fake sysfs over /sys/bus/pci/devices, /sys/bus/pci/drivers and
// /sys/class/net). Write it to a file with mode 0755.
func (n *NIC) WrapperScript(realBinary string) string {
	q := make([]string, 0, 6)
	for _, a := range n.prefix() {
		q = append(q, shq(a))
	}
	return "#!/bin/sh\n# vf-offload e2e: run " + realBinary + " inside emulated NIC " + n.ID +
		"\nexec " + strings.Join(q, " ") + " " + shq(realBinary) + " \"$@\"\n"
}

// Command returns a command that runs bin with args inside the bed.
func (n *NIC) Command(bin string, args ...string) *exec.Cmd {
	p := n.prefix()
	return exec.Command(p[0], append(append(p[1:], bin), args...)...)
}
