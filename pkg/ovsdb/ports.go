package ovsdb

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
)

// PortInfo is what vf-offload needs to know about one bridge port.
type PortInfo struct {
	Name        string
	PortUUID    string
	IfaceUUID   string
	ExternalIDs map[string]string
	Ofport      int
	Error       string
	// OfportRequest is the interface's ofport_request, 0 when unset.
	OfportRequest int
}

// BridgeUUID returns the UUID of the configured bridge, or ErrNoBridge.
func (cl *Client) BridgeUUID() (string, error) {
	br, err := cl.bridgeRow()
	if err != nil {
		return "", err
	}
	return br.UUID, nil
}

func (cl *Client) bridgeRow() (*Bridge, error) {
	var brs []Bridge
	err := cl.c.WhereCache(func(b *Bridge) bool { return b.Name == cl.bridge }).List(context.Background(), &brs)
	if err != nil {
		return nil, fmt.Errorf("read bridge %s: %w", cl.bridge, err)
	}
	if len(brs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoBridge, cl.bridge)
	}
	return &brs[0], nil
}

// Port returns the monitored port named name, or nil when there is none,
// from the session's cache. A Port row exists only while a bridge holds
// it; whether that is the configured bridge is OnBridge's question, which
// costs a round trip.
func (cl *Client) Port(name string) (*PortInfo, error) {
	var ports []Port
	if err := cl.c.WhereCache(func(p *Port) bool { return p.Name == name }).List(context.Background(), &ports); err != nil {
		return nil, fmt.Errorf("read port %s: %w", name, err)
	}
	if len(ports) == 0 {
		return nil, nil
	}
	p := ports[0]
	info := &PortInfo{Name: p.Name, PortUUID: p.UUID}
	var ifaces []Interface
	if err := cl.c.WhereCache(func(i *Interface) bool { return slices.Contains(p.Interfaces, i.UUID) }).List(context.Background(), &ifaces); err != nil {
		return nil, fmt.Errorf("read interface %s: %w", name, err)
	}
	for _, i := range ifaces {
		if i.Name != name {
			continue
		}
		info.IfaceUUID = i.UUID
		info.ExternalIDs = maps.Clone(i.ExternalIDs)
		if i.Ofport != nil {
			info.Ofport = *i.Ofport
		}
		if i.Error != nil {
			info.Error = *i.Error
		}
		if i.OfportRequest != nil {
			info.OfportRequest = *i.OfportRequest
		}
	}
	return info, nil
}

// AddPort, in one transaction, adds to the bridge a port named name whose
// single interface carries externalIDs, and returns it. ovs-vswitchd matches
// ports by name: a port added again under a name it still has open keeps the
// old netdev until vswitchd has dropped that name (see Barrier).
func (cl *Client) AddPort(ctx context.Context, name string, externalIDs map[string]string) (*PortInfo, error) {
	br, err := cl.bridgeRow()
	if err != nil {
		return nil, err
	}
	iface := &Interface{UUID: "vfoiface", Name: name, ExternalIDs: externalIDs}
	port := &Port{UUID: "vfoport", Name: name, Interfaces: []string{iface.UUID}}
	ops, err := cl.c.Create(iface)
	if err != nil {
		return nil, fmt.Errorf("build interface %s: %w", name, err)
	}
	createPort, err := cl.c.Create(port)
	if err != nil {
		return nil, fmt.Errorf("build port %s: %w", name, err)
	}
	ins, err := cl.c.Where(br).Mutate(br, model.Mutation{Field: &br.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{port.UUID}})
	if err != nil {
		return nil, fmt.Errorf("build insertion of port %s: %w", name, err)
	}
	ops = append(append(ops, createPort...), ins...)
	res, err := cl.transact(ctx, "add port "+name+" to "+cl.bridge, ops)
	if err != nil {
		return nil, err
	}
	return &PortInfo{Name: name, IfaceUUID: res[0].UUID.GoUUID, PortUUID: res[1].UUID.GoUUID,
		ExternalIDs: externalIDs}, nil
}

// DeletePort removes the port portUUID from the bridge; OVSDB then drops the
// unreferenced Port and Interface rows.
func (cl *Client) DeletePort(ctx context.Context, portUUID, name string) error {
	br, err := cl.bridgeRow()
	if err != nil {
		return err
	}
	ops, err := cl.c.Where(br).Mutate(br, model.Mutation{Field: &br.Ports, Mutator: ovsdb.MutateOperationDelete, Value: []string{portUUID}})
	if err != nil {
		return fmt.Errorf("build removal of port %s: %w", name, err)
	}
	_, err = cl.transact(ctx, "remove port "+name+" from "+cl.bridge, ops)
	return err
}

// SetExternalIDs replaces the external_ids of interface ifaceUUID.
func (cl *Client) SetExternalIDs(ctx context.Context, ifaceUUID, name string, ids map[string]string) error {
	iface := &Interface{UUID: ifaceUUID, ExternalIDs: ids}
	ops, err := cl.c.Where(iface).Update(iface, &iface.ExternalIDs)
	if err != nil {
		return fmt.Errorf("build external_ids update of %s: %w", name, err)
	}
	_, err = cl.transact(ctx, "set external_ids of "+name, ops)
	return err
}

// WaitOpened waits until ovs-vswitchd has opened interface ifaceUUID
// (ofport > 0) and returns the ofport; an interface error ends the wait at
// once.
func (cl *Client) WaitOpened(ctx context.Context, ifaceUUID, name string) (int, error) {
	return cl.waitIface(ctx, ifaceUUID, name, func(ofport int) bool { return ofport > 0 })
}

// waitIface waits, on monitor updates, until the ofport of interface
// ifaceUUID satisfies ok, and returns it.
func (cl *Client) waitIface(ctx context.Context, ifaceUUID, name string, ok func(int) bool) (int, error) {
	cctx, cancel := cl.ctx(ctx)
	defer cancel()
	for {
		var ifaces []Interface
		if err := cl.c.WhereCache(func(i *Interface) bool { return i.UUID == ifaceUUID }).List(cctx, &ifaces); err != nil {
			return 0, fmt.Errorf("read interface %s: %w", name, err)
		}
		if len(ifaces) == 1 {
			i := ifaces[0]
			if i.Ofport != nil && ok(*i.Ofport) {
				return *i.Ofport, nil
			}
			if i.Error != nil && *i.Error != "" {
				return 0, fmt.Errorf("ovs-vswitchd could not open %s: %s", name, *i.Error)
			}
		}
		select {
		case <-cl.changed:
		case <-cctx.Done():
			return 0, fmt.Errorf("wait for ovs-vswitchd to open %s: %w", name, cctx.Err())
		}
	}
}

// Marked lists the monitored interfaces (see DialMarked) by name, with
// their external_ids.
func (cl *Client) Marked() (map[string]map[string]string, error) {
	var ifaces []Interface
	if err := cl.c.List(context.Background(), &ifaces); err != nil {
		return nil, fmt.Errorf("list marked interfaces: %w", err)
	}
	out := map[string]map[string]string{}
	for _, i := range ifaces {
		out[i.Name] = maps.Clone(i.ExternalIDs)
	}
	return out, nil
}

// OtherConfig returns Open_vSwitch other_config (hw-offload, tc-policy).
func (cl *Client) OtherConfig() (map[string]string, error) {
	var roots []OpenvSwitch
	if err := cl.c.List(context.Background(), &roots); err != nil || len(roots) != 1 {
		return nil, fmt.Errorf("read Open_vSwitch root row: %d rows, %v", len(roots), err)
	}
	return maps.Clone(roots[0].OtherConfig), nil
}

// DatapathType returns the bridge's datapath_type ("" means "system").
func (cl *Client) DatapathType() (string, error) {
	br, err := cl.bridgeRow()
	if err != nil {
		return "", err
	}
	return br.DatapathType, nil
}
