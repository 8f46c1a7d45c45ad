package realkubeovn

import (
	"fmt"
	"os/exec"
	"strings"
)

// gateway is the network behind OVN, reduced to what Kube-OVN checks: a
// netns whose eth0 is a port of br-int and holds the join gateway and each
// subnet's gateway address, so the daemon's ping from ovn0 at start and the
// pod gateway check on ADD get answers (br-int forwards with NORMAL).
type gateway struct {
	netns string // netns name
	port  string // its veth end on br-int, in the node netns
}

func run(args ...string) error {
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// startGateway makes the gateway netns and plugs it into br-int through
// vsctl (the bed's ovs-vsctl).
func startGateway(netnsName, nodeNS, port string, vsctl func(...string) (string, error), addrs []string) (*gateway, error) {
	g := &gateway{netns: netnsName, port: port}
	steps := [][]string{
		{"ip", "netns", "add", netnsName},
		{"ip", "-n", netnsName, "link", "set", "lo", "up"},
		{"ip", "-n", netnsName, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", nodeNS},
		{"ip", "-n", netnsName, "link", "set", "eth0", "up"},
		{"nsenter", "--net=" + nodeNS, "ip", "link", "set", port, "up"},
	}
	for _, a := range addrs {
		steps = append(steps, []string{"ip", "-n", netnsName, "addr", "add", a, "dev", "eth0"})
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			return g, fmt.Errorf("gateway netns: %w", err)
		}
	}
	if _, err := vsctl("add-port", "br-int", port); err != nil {
		return g, fmt.Errorf("gateway port %s on br-int: %w", port, err)
	}
	return g, nil
}

func (g *gateway) close() error {
	return run("ip", "netns", "del", g.netns)
}
