package sriov

import "strings"

// UdevRepName derives the name systemd-udev's net_id gives a switchdev
// port from the name of its uplink: udev names every netdev of a PF the
// same way (path, slot or onboard prefix of the PF device, e.g. "enp3s0",
// "enp3s0f0", "ens1f0") followed by "n" and the netdev's phys_port_name.
// So uplink "enp3s0np0" (phys_port_name "p0") gives the VF representor
// with phys_port_name "pf0vf2" the name "enp3s0npf0vf2".
//
// It returns "" when the uplink's name does not follow that scheme (not
// "en" + prefix + "n" + uplinkPort, e.g. "eth2" or a name set by a vendor
// rule) or when the result would not fit the kernel's 15-byte limit, in
// which case udev gives no such name either.
//
// This is udev's naming up to naming scheme v253 (systemd 254 and older).
// From naming scheme v255 (the default of systemd 255 and later) udev names
// a VF representor prefix + "r" + VF number ("enp3s0r2") instead; that is
// not derived here.
func UdevRepName(uplink, uplinkPort, repPort string) string {
	if !IsUplinkPortName(uplinkPort) || !isPortName(repPort) {
		return ""
	}
	prefix, ok := strings.CutSuffix(uplink, "n"+uplinkPort)
	if !ok || len(prefix) <= len("en") || !strings.HasPrefix(prefix, "en") || !isPortName(strings.ToLower(prefix)) {
		return ""
	}
	name := prefix + "n" + repPort
	if len(name) > 15 {
		return ""
	}
	return name
}

// isPortName tells whether s is non-empty and only lower-case letters and
// digits, as phys_port_names are (udev's prefixes also have "P<domain>").
func isPortName(s string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789") == ""
}
