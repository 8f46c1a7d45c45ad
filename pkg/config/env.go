package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
)

// Env is the CNI environment a command runs with.
type Env struct {
	ContainerID, Netns, IfName string
}

// Validate checks e; see ValidateEnv.
func (e Env) Validate(netnsRequired bool) error {
	return ValidateEnv(e.ContainerID, e.Netns, e.IfName, netnsRequired)
}

// ValidateEnv checks CNI_CONTAINERID, CNI_NETNS and CNI_IFNAME. netns may be
// empty only when netnsRequired is false (DEL); if set it must be absolute.
func ValidateEnv(containerID, netns, ifname string, netnsRequired bool) error {
	if err := ValidateContainerID(containerID); err != nil {
		return err
	}
	if err := ValidateIfName(ifname); err != nil {
		return fmt.Errorf("CNI_IFNAME: %w", err)
	}
	if netns == "" {
		if netnsRequired {
			return fmt.Errorf("CNI_NETNS is empty")
		}
		return nil
	}
	if !filepath.IsAbs(netns) || strings.ContainsFunc(netns, isSpaceOrCtl) {
		return fmt.Errorf("CNI_NETNS %s is not an absolute path", quoteTrunc(netns))
	}
	return nil
}

// ValidateContainerID requires 1..256 bytes of [A-Za-z0-9_.-] without "..".
func ValidateContainerID(id string) error {
	if id == "" || len(id) > 256 || strings.Contains(id, "..") {
		return fmt.Errorf("bad container ID %s: want 1-256 bytes of [A-Za-z0-9_.-] without \"..\"", quoteTrunc(id))
	}
	for _, r := range id {
		if !(r < unicode.MaxASCII && (isAlnum(byte(r)) || r == '_' || r == '.' || r == '-')) {
			return fmt.Errorf("bad container ID %s: character %q not in [A-Za-z0-9_.-]", quoteTrunc(id), r)
		}
	}
	return nil
}

// ValidateIfName checks a Linux interface (or OVS bridge) name the way the
// kernel's dev_valid_name does: 1..15 bytes, no '/', ':' or whitespace, not
// "." or "..". Control bytes are refused too.
func ValidateIfName(name string) error {
	switch {
	case name == "" || len(name) > 15:
		return fmt.Errorf("bad interface name %s: want 1-15 bytes", quoteTrunc(name))
	case name == "." || name == "..":
		return fmt.Errorf("bad interface name %q", name)
	case strings.ContainsAny(name, "/:") || strings.ContainsFunc(name, isSpaceOrCtl):
		return fmt.Errorf("bad interface name %s: contains '/', ':', whitespace or a control character", quoteTrunc(name))
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isSpaceOrCtl(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}
