package ovsdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
)

// SetExternalIDsOnBridge replaces the external_ids of port p's interface in
// one transaction that changes nothing unless the configured bridge still
// holds p: the check and the change cost one round trip. When the bridge
// does not hold p the error wraps ErrNotOnBridge and ErrUncommitted.
func (cl *Client) SetExternalIDsOnBridge(ctx context.Context, p *PortInfo, ids map[string]string) error {
	iface := &Interface{UUID: p.IfaceUUID, ExternalIDs: ids}
	upd, err := cl.c.Where(iface).Update(iface, &iface.ExternalIDs)
	if err != nil {
		return fmt.Errorf("build external_ids update of %s: %w (%w)", p.Name, err, ErrUncommitted)
	}
	ops := append([]ovsdb.Operation{cl.waitOnBridge(p.PortUUID)}, upd...)
	cctx, cancel := cl.ctx(ctx)
	defer cancel()
	res, err := cl.c.Transact(cctx, ops...)
	if errors.Is(err, client.ErrNotConnected) {
		return fmt.Errorf("ovsdb %s: transaction set external_ids of %s: %w (%w)", cl.server, p.Name, err, ErrUncommitted)
	}
	if err != nil {
		return fmt.Errorf("ovsdb %s: transaction set external_ids of %s: %w", cl.server, p.Name, err)
	}
	if len(res) > 0 && strings.Contains(res[0].Error, "timed out") {
		return fmt.Errorf("set external_ids of %s: %w %s (%w)", p.Name, ErrNotOnBridge, cl.bridge, ErrUncommitted)
	}
	if _, err := ovsdb.CheckOperationResults(res, ops); err != nil {
		return fmt.Errorf("ovsdb %s: transaction set external_ids of %s: %w", cl.server, p.Name, err)
	}
	return nil
}

// waitOnBridge is an operation that fails the transaction at once (timeout
// 0) unless the configured bridge holds port portUUID: over the bridge rows
// that are the configured one and hold the port, projected on name, it
// waits until they are exactly that one row.
func (cl *Client) waitOnBridge(portUUID string) ovsdb.Operation {
	zero := 0
	return ovsdb.Operation{Op: ovsdb.OperationWait, Table: "Bridge", Timeout: &zero, Where: cl.holding(portUUID),
		Columns: []string{"name"}, Until: string(ovsdb.WaitConditionEqual), Rows: []ovsdb.Row{{"name": cl.bridge}}}
}
