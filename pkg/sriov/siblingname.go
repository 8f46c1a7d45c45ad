package sriov

import (
	"sort"
	"strconv"
	"strings"
)

// SiblingRepName names a representor after how the node named its siblings:
// repPort is the representor's phys_port_name (pf0vf2), names are the PF's
// other netdevs and portOf reads one's phys_port_name (read lazily: the
// search stops once two siblings agree, so a PF with many VFs costs a few
// reads). A
// sibling representor of the same PF follows the node's naming when its
// name ends with its phys_port_name (udev's "n<port>" names: enp3s0npf0vf1)
// or with its VF number (vendor rules such as mlx5's <pf>_<N>: enp3s0f0_1);
// the representor's name is then the sibling's with its own port or number
// in their place. Names that some siblings do not share are outvoted; stable
// names (pf03000vf1) and Kube-OVN's port names (..._h) never vote. "" when
// no sibling follows a naming.
func SiblingRepName(repPort string, names []string, portOf func(string) string, pfPCI string) string {
	m := vfPortName.FindStringSubmatch(repPort)
	if m == nil {
		return ""
	}
	votes := map[string]int{}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, name := range sorted {
		// Only a name ending in a digit can end in its port or VF number.
		if name == "" || !isDigit(name[len(name)-1]) {
			continue
		}
		port := portOf(name)
		s := vfPortName.FindStringSubmatch(port)
		if s == nil || s[1] != m[1] || s[2] == m[2] {
			continue
		}
		idx, _ := strconv.Atoi(s[2])
		if name == StableRepName(pfPCI, idx) || strings.HasSuffix(name, "_h") {
			continue
		}
		var cand string
		if prefix, ok := strings.CutSuffix(name, port); ok {
			cand = prefix + repPort
		} else if prefix, ok := strings.CutSuffix(name, s[2]); ok && (prefix == "" || !isDigit(prefix[len(prefix)-1])) {
			cand = prefix + m[2]
		}
		if cand != "" && len(cand) <= 15 && isPortName(strings.ToLower(strings.ReplaceAll(cand, "_", ""))) {
			if votes[cand]++; votes[cand] == 2 {
				return cand
			}
		}
	}
	var best []string
	for c := range votes {
		best = append(best, c)
	}
	sort.Slice(best, func(i, j int) bool {
		if votes[best[i]] != votes[best[j]] {
			return votes[best[i]] > votes[best[j]]
		}
		return best[i] < best[j]
	})
	if len(best) == 0 {
		return ""
	}
	return best[0]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// RepNodeName is the name the node gives d's representor, which Kube-OVN
// may have renamed away: after an idle sibling's naming (SiblingRepName),
// else udev's name derived from the uplink's (UdevRepName); "" when
// neither applies. It reads sysfs the first time only.
func (d *Device) RepNodeName() string {
	if d.nodeName == nil {
		n := d.repNodeName()
		d.nodeName = &n
	}
	return *d.nodeName
}

func (d *Device) repNodeName() string {
	port := d.RepPort()
	var names []string
	for _, n := range d.pfNetdevs {
		if n != d.Rep && n != d.Uplink {
			names = append(names, n)
		}
	}
	if n := SiblingRepName(port, names, PhysPortName, d.PFPCI); n != "" {
		return n
	}
	return UdevRepName(d.Uplink, d.UplinkPort(), port)
}
