package link

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrVFNotSupported means the PF's driver does not let VF settings be made
// through it (a PF without VF info, or EOPNOTSUPP).
var ErrVFNotSupported = errors.New("VF settings not supported by the PF driver")

// IsVFNotSupported reports whether err means the PF cannot make VF settings.
func IsVFNotSupported(err error) bool { return errors.Is(err, ErrVFNotSupported) }

// VFAdminMAC returns the administrative MAC of VF index on PF pf.
func VFAdminMAC(pf string, index int) (string, error) {
	l, err := netlink.LinkByName(pf)
	if err != nil {
		return "", fmt.Errorf("PF %s: %w", pf, err)
	}
	for _, vf := range l.Attrs().Vfs {
		if vf.ID == index {
			return vf.Mac.String(), nil
		}
	}
	return "", fmt.Errorf("PF %s reports no VF %d: %w", pf, index, ErrVFNotSupported)
}

// SetVFAdminMAC sets the administrative MAC of VF index through PF pf.
func SetVFAdminMAC(pf string, index int, mac string) error {
	hw, err := net.ParseMAC(mac)
	if err != nil {
		return fmt.Errorf("MAC %q for VF %d of %s: %w", mac, index, pf, err)
	}
	l, err := netlink.LinkByName(pf)
	if err != nil {
		return fmt.Errorf("PF %s: %w", pf, err)
	}
	if err := netlink.LinkSetVfHardwareAddr(l, index, hw); err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) {
			return fmt.Errorf("set MAC %s on VF %d of %s: %w: %w", mac, index, pf, ErrVFNotSupported, err)
		}
		return fmt.Errorf("set MAC %s on VF %d of %s: %w", mac, index, pf, err)
	}
	return nil
}
