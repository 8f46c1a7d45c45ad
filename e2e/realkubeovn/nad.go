package realkubeovn

import (
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// NAD is a NetworkAttachmentDefinition manifest read from a file: its
// device plugin resource and its spec.config, the conflist Multus runs.
type NAD struct {
	Name, Namespace string
	Resource        string // k8s.v1.cni.cncf.io/resourceName, "" if none
	Config          string // spec.config as written
	CNIVersion      string
	ListName        string           // the conflist's name
	Plugins         []map[string]any // the conflist's entries, decoded
}

// ReadNAD reads and decodes a NetworkAttachmentDefinition manifest (one
// document), e.g. conf/nad-default.yaml.
func ReadNAD(path string) (NAD, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return NAD{}, err
	}
	var m struct {
		Metadata struct {
			Name, Namespace string
			Annotations     map[string]string
		}
		Spec struct {
			Config string `json:"config"`
		}
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return NAD{}, fmt.Errorf("%s: %w", path, err)
	}
	if m.Spec.Config == "" {
		return NAD{}, fmt.Errorf("%s: no spec.config", path)
	}
	var c struct {
		Name       string           `json:"name"`
		CNIVersion string           `json:"cniVersion"`
		Plugins    []map[string]any `json:"plugins"`
	}
	if err := json.Unmarshal([]byte(m.Spec.Config), &c); err != nil {
		return NAD{}, fmt.Errorf("%s spec.config: %w", path, err)
	}
	return NAD{Name: m.Metadata.Name, Namespace: m.Metadata.Namespace,
		Resource: m.Metadata.Annotations["k8s.v1.cni.cncf.io/resourceName"], Config: m.Spec.Config,
		CNIVersion: c.CNIVersion, ListName: c.Name, Plugins: c.Plugins}, nil
}

// Entry returns a copy of the conflist's first entry of plugin type typ.
func (n NAD) Entry(typ string) (map[string]any, error) {
	for _, p := range n.Plugins {
		if p["type"] == typ {
			data, err := json.Marshal(p)
			if err != nil {
				return nil, err
			}
			out := map[string]any{}
			return out, json.Unmarshal(data, &out)
		}
	}
	return nil, fmt.Errorf("NAD %s/%s: no %q entry in spec.config", n.Namespace, n.Name, typ)
}
