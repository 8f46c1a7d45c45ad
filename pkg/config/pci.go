package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// PCIAddressPattern matches a canonical PCI address as NormalizePCI returns it.
const PCIAddressPattern = `^[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$`

var pciRe = regexp.MustCompile(`^(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[01][0-9a-fA-F]\.[0-7]$`)

// Device ID sources, as returned by (*NetConf).DeviceID (and, for the last, by
// the caller that reads the device-info file).
const (
	SourceRuntimeConfig  = "runtimeConfig.deviceID"
	SourceDeviceID       = "deviceID"
	SourcePCIBusID       = "pciBusID"
	SourceDeviceInfoFile = "CNIDeviceInfoFile"
)

// NormalizePCI returns s as a canonical lower-case PCI address
// (dddd:bb:dd.f), adding the 0000 domain to a short address.
func NormalizePCI(s string) (string, error) {
	if !pciRe.MatchString(s) {
		return "", fmt.Errorf("bad PCI address %s: want dddd:bb:dd.f (device 00-1f, function 0-7)", quoteTrunc(s))
	}
	if len(s) == len("00:00.0") {
		s = "0000:" + s
	}
	return strings.ToLower(s), nil
}

// DeviceID returns the VF's PCI address from runtimeConfig.deviceID, then
// deviceID, then pciBusID, with the key it came from. It returns "", "", nil
// when none is set; a set but invalid value is an error.
func (c *NetConf) DeviceID() (pci string, source string, err error) {
	for _, cand := range []struct{ val, src string }{
		{c.RuntimeConfig.DeviceID, SourceRuntimeConfig},
		{c.TopLevelDeviceID, SourceDeviceID},
		{c.PCIBusID, SourcePCIBusID},
	} {
		if cand.val == "" {
			continue
		}
		pci, err := NormalizePCI(cand.val)
		if err != nil {
			return "", "", fmt.Errorf("config key %q: %w", cand.src, err)
		}
		return pci, cand.src, nil
	}
	return "", "", nil
}

type deviceInfo struct {
	Type string `json:"type"`
	PCI  *struct {
		Address string `json:"pci-address"`
	} `json:"pci"`
}

// ParseDeviceInfo returns the normalised PCI address from a device-info-spec
// file of type "pci".
func ParseDeviceInfo(data []byte) (string, error) {
	var di deviceInfo
	if err := json.Unmarshal(data, &di); err != nil {
		return "", fmt.Errorf("device-info file is not valid: %w", err)
	}
	if di.Type != "pci" {
		return "", fmt.Errorf("device-info type %s is not \"pci\"", quoteTrunc(di.Type))
	}
	if di.PCI == nil {
		return "", fmt.Errorf("device-info of type \"pci\" has no \"pci\" object")
	}
	pci, err := NormalizePCI(di.PCI.Address)
	if err != nil {
		return "", fmt.Errorf("device-info \"pci-address\": %w", err)
	}
	return pci, nil
}

// AddRepresentor returns data with "pci":{"representor-device": rep} set,
// keeping every other field.
func AddRepresentor(data []byte, rep string) ([]byte, error) {
	if err := ValidateIfName(rep); err != nil {
		return nil, fmt.Errorf("representor: %w", err)
	}
	if _, err := ParseDeviceInfo(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("device-info file is not valid: %w", err)
	}
	pci, ok := m["pci"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("device-info \"pci\" is not an object")
	}
	pci["representor-device"] = rep
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding device-info: %w", err)
	}
	return out, nil
}
