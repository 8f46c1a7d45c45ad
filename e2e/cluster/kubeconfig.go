package cluster

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// Kubeconfig writes to path a kubeconfig that reaches the API server at
// server (e.g. the URL ServeInNetns returned, or URL()) with the cluster's
// CA inline and the admin token (user "admin", group system:masters).
func (c *Cluster) Kubeconfig(path, server string) error {
	type named struct {
		Name    string         `json:"name"`
		Cluster map[string]any `json:"cluster,omitempty"`
		User    map[string]any `json:"user,omitempty"`
		Context map[string]any `json:"context,omitempty"`
	}
	cfg := map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []named{{Name: "vfo", Cluster: map[string]any{
			"server":                     server,
			"certificate-authority-data": c.pki.caPEM, // []byte: base64 in JSON/YAML
		}}},
		"users":           []named{{Name: "admin", User: map[string]any{"token": c.pki.adminToken}}},
		"contexts":        []named{{Name: "vfo", Context: map[string]any{"cluster": "vfo", "user": "admin"}}},
		"current-context": "vfo",
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode kubeconfig for %s: %w", server, err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}
