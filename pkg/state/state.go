// Package state keeps, per VF, what DEL needs to undo an ADD, and the per-VF
// lock. Every path is built only from a PCI address that config.NormalizePCI
// accepted.
package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/vf-offload/vf-offload/pkg/config"
)

// Version is the state file format version Save writes and Load accepts.
const Version = 1

// Phases of an attachment, written by ADD. PhaseNone is the phase of an
// attachment that no state file recorded (DEL builds one from its arguments).
const (
	PhaseAdding = "adding"
	PhaseAdded  = "added"
	PhaseNone   = ""
)

// How Kube-OVN had wired the pod when ADD found it: its own veth, or the VF
// itself (Kube-OVN acts on the device ID Multus writes into its entry).
const (
	KubeOVNVeth      = "veth"
	KubeOVNOffloaded = "offloaded"
)

const maxStateSize = 1 << 20

// Store keeps state and lock files in one directory.
type Store struct{ dir string }

// NewStore returns a Store for dir (normally NetConf.StateDir).
func NewStore(dir string) *Store { return &Store{dir: dir} }

// VFInfo is the VF's original host-side configuration.
type VFInfo struct {
	Name     string `json:"name"`
	MAC      string `json:"mac"`
	AdminMAC string `json:"adminMAC"`
	MTU      int    `json:"mtu"`
	Up       bool   `json:"up"`
	Alias    string `json:"alias"`
	Index    int    `json:"index"`
}

// RepInfo is the representor's original configuration.
type RepInfo struct {
	Name string `json:"name"`
	MTU  int    `json:"mtu"`
	Up   bool   `json:"up"`
}

// Attachment is what DEL needs to undo an ADD on one VF.
type Attachment struct {
	Version         int               `json:"version"`
	ContainerID     string            `json:"containerID"`
	IfName          string            `json:"ifName"`
	Netns           string            `json:"netns"`
	PCI             string            `json:"pci"`
	PFPCI           string            `json:"pfPCI"`
	VFIndex         int               `json:"vfIndex"`
	KubeOVNState    string            `json:"kubeOVNState"` // KubeOVNVeth or KubeOVNOffloaded
	Bridge          string            `json:"bridge"`
	Port            string            `json:"port"`
	PortExternalIDs map[string]string `json:"portExternalIDs,omitempty"`
	VF              VFInfo            `json:"vf"`
	Rep             RepInfo           `json:"rep"`
	PF              string            `json:"pf"`
	Phase           string            `json:"phase"` // PhaseAdding or PhaseAdded
	DeviceInfoFile  string            `json:"deviceInfoFile"`
}

func (s *Store) path(pci, suffix string) (string, error) {
	n, err := config.NormalizePCI(pci)
	if err != nil {
		return "", fmt.Errorf("state: %w", err)
	}
	return filepath.Join(s.dir, n+suffix), nil
}

// ensureDir creates the store directory (0700) if missing and refuses a
// non-directory.
func (s *Store) ensureDir() error {
	fi, err := os.Stat(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return fmt.Errorf("state: creating directory %q: %w", s.dir, err)
		}
		if err := os.Chmod(s.dir, 0o700); err != nil {
			return fmt.Errorf("state: chmod directory %q: %w", s.dir, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("state: directory %q: %w", s.dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("state: %q exists and is not a directory (mode %s)", s.dir, fi.Mode().Type())
	}
	if fi.Mode().Perm()&0o077 != 0 { // an operator-made directory: nobody else may read the state
		if err := os.Chmod(s.dir, 0o700); err != nil {
			return fmt.Errorf("state: chmod directory %q: %w", s.dir, err)
		}
	}
	return nil
}

// Save writes a atomically to <dir>/<pci>.json (0600), stamping Version.
func (s *Store) Save(a *Attachment) error {
	c := *a
	c.Version = Version
	if n, err := config.NormalizePCI(c.PCI); err == nil {
		c.PCI = n
	}
	if err := c.validate(); err != nil {
		return err
	}
	final, _ := s.path(c.PCI, ".json")
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return fmt.Errorf("state %s: encoding: %w", c.PCI, err)
	}
	if err := s.ensureDir(); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, c.PCI+".json.tmp-")
	if err != nil {
		return fmt.Errorf("state %s: %w", c.PCI, err)
	}
	tmp := f.Name()
	// No fsync: the state must survive the plugin dying, which the page
	// cache does; a node that loses its page cache reboots, and then no
	// pod netns, VF move or port the state describes survives either (GC
	// and DEL treat such state as stale). The rename keeps it atomic.
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state %s: writing %q: %w", c.PCI, final, err)
	}
	return nil
}

// Load returns the attachment saved for pci, or (nil, nil) if there is none.
func (s *Store) Load(pci string) (*Attachment, error) {
	p, err := s.path(pci, ".json")
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: opening %q: %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return nil, fmt.Errorf("state: reading %q: %w", p, err)
	}
	a, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("state file %q: %w", p, err)
	}
	if want := strings.TrimSuffix(filepath.Base(p), ".json"); a.PCI != want {
		return nil, fmt.Errorf("state file %q: records PCI %q, not %q", p, a.PCI, want)
	}
	return a, nil
}

// Remove deletes the state and lock files of pci; absent files are fine.
func (s *Store) Remove(pci string) error {
	for _, suffix := range []string{".json", ".lock"} {
		p, err := s.path(pci, suffix)
		if err != nil {
			return err
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("state: removing %q: %w", p, err)
		}
	}
	return nil
}

// List returns every attachment it could load. A missing directory is an
// empty list. err, if not nil, joins one error per unreadable state file;
// the attachments that could be read are returned alongside it.
func (s *Store) List() ([]*Attachment, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: listing %q: %w", s.dir, err)
	}
	var out []*Attachment
	var errs []error
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		if n, err := config.NormalizePCI(name); err != nil || n != name {
			continue
		}
		a, err := s.Load(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if a != nil {
			out = append(out, a)
		}
	}
	return out, errors.Join(errs...)
}

// decode parses a state file: unknown fields are ignored, values validated.
func decode(data []byte) (*Attachment, error) {
	if len(data) > maxStateSize {
		return nil, fmt.Errorf("larger than %d bytes", maxStateSize)
	}
	var a Attachment
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&a); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if err := a.validate(); err != nil {
		return nil, err
	}
	return &a, nil
}

func (a *Attachment) validate() error {
	bad := func(field string, err error) error {
		return fmt.Errorf("state %s: field %s: %w", a.PCI, field, err)
	}
	if a.Version != Version {
		return bad("version", fmt.Errorf("unsupported version %d (want %d)", a.Version, Version))
	}
	if n, err := config.NormalizePCI(a.PCI); err != nil || n != a.PCI {
		return bad("pci", fmt.Errorf("%q is not a canonical PCI address", a.PCI))
	}
	if a.PFPCI != "" {
		if _, err := config.NormalizePCI(a.PFPCI); err != nil {
			return bad("pfPCI", err)
		}
	}
	if err := config.ValidateEnv(a.ContainerID, a.Netns, a.IfName, false); err != nil {
		return bad("containerID/ifName/netns", err)
	}
	for field, name := range map[string]string{"bridge": a.Bridge, "port": a.Port,
		"vf.name": a.VF.Name, "rep.name": a.Rep.Name, "pf": a.PF} {
		if name != "" {
			if err := config.ValidateIfName(name); err != nil {
				return bad(field, err)
			}
		}
	}
	for field, mac := range map[string]string{"vf.mac": a.VF.MAC, "vf.adminMAC": a.VF.AdminMAC} {
		if mac != "" {
			if _, err := net.ParseMAC(mac); err != nil {
				return bad(field, err)
			}
		}
	}
	if len(a.VF.Alias) > 255 {
		return bad("vf.alias", fmt.Errorf("%d bytes, more than 255", len(a.VF.Alias)))
	}
	if a.VFIndex < 0 || a.VF.MTU < 0 || a.Rep.MTU < 0 || a.VF.Index < 0 {
		return bad("vfIndex/mtu/index", fmt.Errorf("negative value"))
	}
	switch a.KubeOVNState {
	case "", KubeOVNVeth, KubeOVNOffloaded:
	default:
		return bad("kubeOVNState", fmt.Errorf("%q is not %s or %s", a.KubeOVNState, KubeOVNVeth, KubeOVNOffloaded))
	}
	switch a.Phase {
	case PhaseAdding, PhaseAdded:
	default:
		return bad("phase", fmt.Errorf("%q is not %s or %s", a.Phase, PhaseAdding, PhaseAdded))
	}
	if a.DeviceInfoFile != "" && !filepath.IsAbs(a.DeviceInfoFile) {
		return bad("deviceInfoFile", fmt.Errorf("%q is not absolute", a.DeviceInfoFile))
	}
	return nil
}
