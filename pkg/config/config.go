// Package config parses and validates the vf-offload network configuration
// and the CNI environment. It performs no I/O.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
)

// Defaults applied by Parse.
const (
	DefaultBridge   = "br-int"
	DefaultOVSDB    = "unix:/run/openvswitch/db.sock"
	DefaultStateDir = "/var/lib/cni/vf-offload"
	DefaultLogLevel = "info"
)

// NetConf is the plugin's configuration as read from stdin.
type NetConf struct {
	types.PluginConf

	Bridge         string `json:"bridge"`
	OVSDB          string `json:"ovsdb"`
	StateDir       string `json:"stateDir"`
	LogFile        string `json:"logFile"`
	LogLevel       string `json:"logLevel"`
	RequireOffload bool   `json:"requireOffload"`
	// TopLevelDeviceID is the top-level "deviceID" key written by Multus. The
	// Go name differs from the JSON key because DeviceID is a method.
	TopLevelDeviceID string `json:"deviceID"`
	PCIBusID         string `json:"pciBusID"`
	RuntimeConfig    struct {
		DeviceID          string `json:"deviceID,omitempty"`
		CNIDeviceInfoFile string `json:"CNIDeviceInfoFile,omitempty"`
	} `json:"runtimeConfig"`

	// GC (CNI 1.1.0). The second key is an old libcni misspelling.
	ValidAttachments []types.GCAttachment `json:"cni.dev/valid-attachments,omitempty"`
	OldAttachments   []types.GCAttachment `json:"cni.dev/attachments,omitempty"`

	prev *current.Result // PrevResult as Parse converted it
}

// SupportedVersions are the cniVersion values Parse accepts.
func SupportedVersions() []string {
	return []string{"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}
}

// Parse decodes stdin, applies defaults, validates every field and parses
// prevResult (converted to types/100) into conf.PrevResult when present.
func Parse(stdin []byte) (*NetConf, error) {
	conf := &NetConf{}
	if err := json.Unmarshal(stdin, conf); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// te.Value holds a number's full text ("number 1111..."), and
			// err repeats it: only a truncated value goes into the message.
			// Keys of the embedded PluginConf are named as in the JSON.
			return nil, fmt.Errorf("config key %q: JSON %s where %s is expected",
				strings.TrimPrefix(te.Field, "PluginConf."), trunc(te.Value), te.Type)
		}
		return nil, fmt.Errorf("config is not valid JSON: %w", err)
	}
	if !supported(conf.CNIVersion) {
		return nil, fmt.Errorf("config key \"cniVersion\": unsupported version %s (supported: %s)",
			quoteTrunc(conf.CNIVersion), strings.Join(SupportedVersions(), ", "))
	}
	conf.setDefaults()
	if err := conf.validate(); err != nil {
		return nil, err
	}
	if conf.RawPrevResult != nil {
		if err := version.ParsePrevResult(&conf.PluginConf); err != nil {
			return nil, fmt.Errorf("config key \"prevResult\": %w", err)
		}
		res, err := current.NewResultFromResult(conf.PrevResult)
		if err != nil {
			return nil, fmt.Errorf("config key \"prevResult\": cannot convert to %s: %w", current.ImplementedSpecVersion, err)
		}
		conf.PrevResult, conf.prev = res, res
	}
	return conf, nil
}

// Prev is prevResult as types/100, converted once by Parse; nil when the
// configuration has none.
func (c *NetConf) Prev() *current.Result { return c.prev }

func supported(v string) bool {
	for _, s := range SupportedVersions() {
		if v == s {
			return true
		}
	}
	return false
}

func (c *NetConf) setDefaults() {
	if c.Bridge == "" {
		c.Bridge = DefaultBridge
	}
	if c.OVSDB == "" {
		c.OVSDB = DefaultOVSDB
	}
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir
	}
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
}

func (c *NetConf) validate() error {
	if err := ValidateIfName(c.Bridge); err != nil {
		return fmt.Errorf("config key \"bridge\": %w", err)
	}
	if err := validateOVSDB(c.OVSDB); err != nil {
		return fmt.Errorf("config key \"ovsdb\": %w", err)
	}
	if err := validateAbsPath(c.StateDir); err != nil {
		return fmt.Errorf("config key \"stateDir\": %w", err)
	}
	if c.LogFile != "" {
		if err := validateAbsPath(c.LogFile); err != nil {
			return fmt.Errorf("config key \"logFile\": %w", err)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config key \"logLevel\": %s is not one of debug, info, warn, error", quoteTrunc(c.LogLevel))
	}
	if f := c.RuntimeConfig.CNIDeviceInfoFile; f != "" {
		if err := validateAbsPath(f); err != nil {
			return fmt.Errorf("config key \"runtimeConfig.CNIDeviceInfoFile\": %w", err)
		}
	}
	for i, a := range c.GCValid() {
		if err := ValidateContainerID(a.ContainerID); err != nil {
			return fmt.Errorf("GC attachment %d: %w", i, err)
		}
		if err := ValidateIfName(a.IfName); err != nil {
			return fmt.Errorf("GC attachment %d: %w", i, err)
		}
	}
	return nil
}

// validateOVSDB accepts unix:<absolute path>, tcp:host:port and ssl:host:port.
func validateOVSDB(s string) error {
	scheme, rest, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return fmt.Errorf("%s: want unix:<path>, tcp:<host>:<port> or ssl:<host>:<port>", quoteTrunc(s))
	case scheme == "unix":
		if err := validateAbsPath(rest); err != nil {
			return fmt.Errorf("%s: %w", quoteTrunc(s), err)
		}
		return nil
	case scheme == "tcp" || scheme == "ssl":
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return fmt.Errorf("%s: %w", quoteTrunc(s), err)
		}
		if host == "" || strings.ContainsFunc(host, isSpaceOrCtl) {
			return fmt.Errorf("%s: bad host", quoteTrunc(s))
		}
		if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			return fmt.Errorf("%s: bad port %s", quoteTrunc(s), quoteTrunc(port))
		}
		return nil
	default:
		return fmt.Errorf("%s: unknown scheme %s (want unix, tcp or ssl)", quoteTrunc(s), quoteTrunc(scheme))
	}
}

// validateAbsPath requires an absolute, clean path without control bytes.
func validateAbsPath(p string) error {
	if !filepath.IsAbs(p) {
		return fmt.Errorf("path %s is not absolute", quoteTrunc(p))
	}
	if filepath.Clean(p) != p {
		return fmt.Errorf("path %s is not clean (want %q)", quoteTrunc(p), filepath.Clean(p))
	}
	if strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("path %s contains control characters", quoteTrunc(p))
	}
	return nil
}

// GCValid returns the attachments listed under both GC keys.
func (c *NetConf) GCValid() []types.GCAttachment {
	out := make([]types.GCAttachment, 0, len(c.ValidAttachments)+len(c.OldAttachments))
	seen := make(map[types.GCAttachment]bool)
	for _, list := range [][]types.GCAttachment{c.ValidAttachments, c.OldAttachments} {
		for _, a := range list {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// trunc returns s cut to 64 bytes, saying so when it cuts.
func trunc(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%s... (truncated, %d bytes)", s[:max], len(s))
	}
	return s
}

// quoteTrunc quotes s for an error message, truncated to 64 bytes.
func quoteTrunc(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q (truncated, %d bytes)", s[:max], len(s))
	}
	return fmt.Sprintf("%q", s)
}
