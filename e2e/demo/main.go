// Command demo shows vf-offload on the e2e test bed (make demo): an
// emulated Agilio NIC with 4 VFs, a private OVS, two pods wired by the real
// cnitool through [kube-ovn stand-in, vf-offload, portmap] (or, with
// -chain=kubeovn, [kube-ovn stand-in, portmap]), a ping, then DEL and cleanup.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

func main() {
	chainName := flag.String("chain", "full", "full = [kube-ovn, vf-offload, portmap]; kubeovn = [kube-ovn, portmap]")
	kubeOffload := flag.Bool("kubeovn-offload", false, "let the Kube-OVN stand-in wire the VF itself (already-offloaded state)")
	flag.Parse()
	if *chainName != "full" && *chainName != "kubeovn" {
		fmt.Fprintln(os.Stderr, "demo: -chain must be full or kubeovn")
		os.Exit(2)
	}
	if why := bed.Missing(); why != "" {
		fmt.Fprintf(os.Stderr, "demo: cannot start the test bed: %s (run as root after 'make deps')\n", why)
		os.Exit(1)
	}
	if err := run(*chainName, *kubeOffload); err != nil {
		fmt.Fprintln(os.Stderr, "demo: FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("\ndemo: OK")
}

func section(title string) { fmt.Printf("\n=== %s\n", title) }

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func run(chainName string, kubeOffload bool) (err error) {
	prof := nic.Agilio()
	section("building binaries and starting the test bed (Agilio profile, 4 VFs)")
	start := time.Now()
	b, err := bed.Start(bed.Options{NIC: &prof, NumVFs: 4, Logf: func(f string, a ...any) { fmt.Printf("    "+f+"\n", a...) }})
	if err != nil {
		return err
	}
	defer func() {
		section("cleanup")
		if cerr := b.Close(); cerr != nil && err == nil {
			err = cerr
		}
		fmt.Println("    bed closed: netns, OVS, NIC and", b.Dir, "removed")
	}()
	fmt.Printf("    up in %v; OVS db %s\n", time.Since(start).Round(time.Millisecond), b.OVS.DB)
	fmt.Printf("    PF %s (%s), uplink %s, switch id %s\n", b.NIC.PFPCI, b.NIC.PFNetdev, b.NIC.Uplink, b.NIC.SwitchID)
	for _, vf := range b.NIC.VFs {
		fmt.Printf("    VF %d  pci %s  netdev %-12s representor %s\n", vf.Index, vf.PCI, vf.Netdev, vf.Rep)
	}
	chain := b.ChainFull(kubeOffload)
	if chainName == "kubeovn" {
		chain = b.ChainKubeOVN(kubeOffload)
	}
	pods := []*bed.Pod{b.NewPod("pod-a", "default"), b.NewPod("pod-b", "default")}
	chains := make([]bed.Conflist, len(pods))
	caps := make([]map[string]any, len(pods))
	for i, p := range pods {
		if chains[i], caps[i], err = b.Multus(chain, b.NIC.VFs[i].PCI); err != nil {
			return err
		}
		section(fmt.Sprintf("cnitool add %s %s (VF %s, IP %s, MAC %s)", chain.Name, p.Netns, b.NIC.VFs[i].PCI, p.IP, p.MAC))
		out, err := b.CNITool("add", chains[i], p, "eth0", caps[i])
		if err != nil {
			return err
		}
		fmt.Println(indent(out))
	}
	for _, p := range pods {
		section("pod " + p.Name + ": links and addresses")
		out, err := p.Exec("ip", "-d", "addr", "show", "eth0")
		if err != nil {
			return err
		}
		fmt.Println(indent(out))
	}
	section("ovs-vsctl show")
	if out, err := b.OVS.Vsctl("show"); err == nil {
		fmt.Println(indent(out))
	} else {
		return err
	}
	for _, p := range pods {
		port := kubeovn.PortName(bed.CNIToolContainerID(p.Netns), "eth0")
		section("port " + port + " of pod " + p.Name)
		out, err := b.OVS.Vsctl("--columns=name,ofport,error,external_ids", "list", "Interface", port)
		if err != nil {
			return err
		}
		fmt.Println(indent(out))
		if link, err := b.Node("ip", "-d", "link", "show", port); err == nil {
			fmt.Println(indent(link))
		}
	}
	section(fmt.Sprintf("ping %s -> %s (%s)", pods[0].Name, pods[1].Name, pods[1].IP.IP))
	rtts, err := pods[0].Ping(pods[1].IP.IP, 3, time.Second)
	if err != nil {
		return err
	}
	for i, r := range rtts {
		fmt.Printf("    reply %d from %s: time=%v\n", i+1, pods[1].IP.IP, r.Round(time.Microsecond))
	}
	for i, p := range pods {
		section("cnitool del " + chain.Name + " " + p.Netns)
		if _, err := b.CNITool("del", chains[i], p, "eth0", caps[i]); err != nil {
			return err
		}
		out, _ := p.Exec("ip", "-br", "link")
		fmt.Println("    left in the pod:\n" + indent(out))
	}
	section("node links after DEL (VFs and representors should carry their own names)")
	out, err := b.Node("ip", "-br", "link")
	if err != nil {
		return err
	}
	fmt.Println(indent(out))
	var missing []string
	for _, vf := range b.NIC.VFs[:len(pods)] {
		for _, name := range []string{vf.Netdev, vf.Rep} {
			if _, err := b.Node("ip", "link", "show", "dev", name); err != nil {
				missing = append(missing, name)
			}
		}
	}
	switch {
	case len(missing) == 0:
		fmt.Println("    all VFs and representors are back under their own names")
	case chainName == "kubeovn":
		fmt.Printf("    not back: %v — Kube-OVN's own DEL leaves the VF in the pod and the representor renamed (what vf-offload fixes)\n", missing)
	default:
		return fmt.Errorf("after DEL, not back in the node under their own names: %v", missing)
	}
	if out, err := b.OVS.Vsctl("list-ports", "br-int"); err == nil {
		fmt.Printf("    ports left on br-int: %q\n", strings.TrimSpace(out))
	}
	return nil
}
