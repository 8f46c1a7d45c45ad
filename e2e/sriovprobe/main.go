// Command sriovprobe prints, as a JSON array, what sriovnet reports for
// each VF PCI address given as argument (with -vfo first: what
// vf-offload's pkg/sriov finds instead; an argument pci=name passes name
// as the representor hint). The e2e tests run it inside the
// emulated NIC's bed to check the fake sysfs with the real library.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/k8snetworkplumbingwg/sriovnet"

	"github.com/vf-offload/vf-offload/pkg/sriov"
)

// Probe is one VF's view through sriovnet. Errors maps a call name to its
// error text.
type Probe struct {
	PCI            string            `json:"pci"`
	Netdevs        []string          `json:"netdevs"`
	Index          int               `json:"index"`
	PF             string            `json:"pf"`
	PFNetdevs      []string          `json:"pfNetdevs"`
	Uplink         string            `json:"uplink"`
	UplinkPCI      string            `json:"uplinkPci"`
	Rep            string            `json:"rep"`
	RepPCI         string            `json:"repPci"`
	RepPortName    string            `json:"repPortName"`
	RepSwitchID    string            `json:"repSwitchId"`
	UplinkPortName string            `json:"uplinkPortName"`
	UplinkSwitchID string            `json:"uplinkSwitchId"`
	VfioBound      bool              `json:"vfioBound"`
	Driver         string            `json:"driver"`
	Errors         map[string]string `json:"errors,omitempty"`
}

// Found is what vf-offload's own lookup (pkg/sriov) finds for a VF.
type Found struct {
	PCI      string `json:"pci"`
	Index    int    `json:"index"`
	Uplink   string `json:"uplink"`
	Rep      string `json:"rep"`
	PFNetdev string `json:"pfNetdev"`
	Error    string `json:"error,omitempty"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-vfo" {
		found := []Found{}
		for _, arg := range os.Args[2:] {
			// pci=name looks pci up with name as the representor hint.
			pci, hint, _ := strings.Cut(arg, "=")
			f := Found{PCI: pci}
			if d, err := sriov.Lookup(pci, hint); err != nil {
				f.Error = err.Error()
			} else {
				f.Index, f.Uplink, f.Rep, f.PFNetdev = d.Index, d.Uplink, d.Rep, d.PFNetdev()
			}
			found = append(found, f)
		}
		if err := json.NewEncoder(os.Stdout).Encode(found); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	out := []Probe{}
	for _, pci := range os.Args[1:] {
		out = append(out, probe(pci))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func probe(pci string) Probe {
	p := Probe{PCI: pci, Index: -1, Errors: map[string]string{}}
	rec := func(call string, err error) bool {
		if err != nil {
			p.Errors[call] = err.Error()
		}
		return err == nil
	}
	var err error
	p.Netdevs, err = sriovnet.GetNetDevicesFromPci(pci)
	rec("GetNetDevicesFromPci", err)
	p.Index, err = sriovnet.GetVfIndexByPciAddress(pci)
	rec("GetVfIndexByPciAddress", err)
	p.PF, err = sriovnet.GetPfPciFromVfPci(pci)
	if rec("GetPfPciFromVfPci", err) {
		p.PFNetdevs, err = sriovnet.GetNetDevicesFromPci(p.PF)
		rec("GetNetDevicesFromPci(pf)", err)
	}
	p.VfioBound = sriovnet.IsVfPciVfioBound(pci)
	if d, err := filepath.EvalSymlinks(filepath.Join(sriovnet.PciSysDir, pci, "driver")); rec("driver", err) {
		p.Driver = filepath.Base(d)
	}
	p.Uplink, err = sriovnet.GetUplinkRepresentor(pci)
	if !rec("GetUplinkRepresentor", err) {
		return p
	}
	p.UplinkPCI, err = sriovnet.GetPciFromNetDevice(p.Uplink)
	rec("GetPciFromNetDevice(uplink)", err)
	p.UplinkPortName = readAttr(&p, p.Uplink, "phys_port_name")
	p.UplinkSwitchID = readAttr(&p, p.Uplink, "phys_switch_id")
	if p.Index < 0 {
		return p
	}
	p.Rep, err = sriovnet.GetVfRepresentor(p.Uplink, p.Index)
	if !rec("GetVfRepresentor", err) {
		return p
	}
	p.RepPCI, err = sriovnet.GetPciFromNetDevice(p.Rep)
	rec("GetPciFromNetDevice(rep)", err)
	p.RepPortName = readAttr(&p, p.Rep, "phys_port_name")
	p.RepSwitchID = readAttr(&p, p.Rep, "phys_switch_id")
	return p
}

func readAttr(p *Probe, dev, attr string) string {
	b, err := os.ReadFile(filepath.Join(sriovnet.NetSysDir, dev, attr))
	if err != nil {
		p.Errors["read "+dev+"/"+attr] = err.Error()
		return ""
	}
	return strings.TrimSpace(string(b))
}
