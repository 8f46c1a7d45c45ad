package bed

import (
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CNITool runs the real cnitool binary (verb "add", "del", "check") for the
// conflist, as an operator would: NETCONFPATH, CNI_PATH, CNI_IFNAME,
// CNI_ARGS and CAP_ARGS in the environment. It returns cnitool's stdout.
// cnitool keeps its result cache in /var/lib/cni (it has no cache-dir
// option); ADD followed by DEL leaves no entry there.
func (b *Bed) CNITool(verb string, c Conflist, p *Pod, ifname string, caps map[string]any) (string, error) {
	dir := filepath.Join(b.Dir, "netconf")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("netconf dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, c.Name+".conflist"), c.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("write conflist %s: %w", c.Name, err)
	}
	capJSON := []byte{}
	if len(caps) > 0 {
		capJSON, _ = json.Marshal(caps)
	}
	cmd := exec.Command(b.Bins.Path["cnitool"], verb, c.Name, p.Netns)
	cmd.Env = append(os.Environ(), "NETCONFPATH="+dir, "CNI_PATH="+b.CNIPath, "CNI_IFNAME="+ifname,
		"CNI_ARGS="+p.CNIArgsString(), "CAP_ARGS="+string(capJSON))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg, _, _ := strings.Cut(stderr.String(), "Usage:") // drop cobra's usage text
		return string(out), fmt.Errorf("cnitool %s %s %s: %w: %s%s", verb, c.Name, p.Netns, err, strings.TrimSpace(msg), out)
	}
	return string(out), nil
}

// CNIToolContainerID is the container ID cnitool derives from a netns path.
func CNIToolContainerID(netns string) string {
	s := sha512.Sum512([]byte(netns))
	return fmt.Sprintf("cnitool-%x", s[:10])
}
