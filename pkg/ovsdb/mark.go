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
	what := "set external_ids of " + p.Name
	res, err := cl.transactOnBridge(ctx, what, p.PortUUID, upd)
	if err != nil {
		return err
	}
	if _, err := ovsdb.CheckOperationResults(res, upd); err != nil {
		return fmt.Errorf("ovsdb %s: transaction %s: %w", cl.server, what, err)
	}
	return nil
}

// transactOnBridge runs ops in one transaction after a guard that the
// configured bridge still holds port portUUID, and returns ops' results. An
// error wraps ErrUncommitted when nothing can have been committed: the
// session was down, or the guard failed (then it also wraps
// ErrNotOnBridge). Other failed operations are the caller's to read in res.
func (cl *Client) transactOnBridge(ctx context.Context, what, portUUID string, ops []ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	cctx, cancel := cl.ctx(ctx)
	defer cancel()
	res, err := cl.c.Transact(cctx, append([]ovsdb.Operation{cl.waitOnBridge(portUUID)}, ops...)...)
	if errors.Is(err, client.ErrNotConnected) {
		return nil, fmt.Errorf("ovsdb %s: transaction %s: %w (%w)", cl.server, what, err, ErrUncommitted)
	}
	if err != nil { // sent, but no answer: it may have been committed
		return nil, fmt.Errorf("ovsdb %s: transaction %s: %w", cl.server, what, err)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("ovsdb %s: transaction %s: no results", cl.server, what)
	}
	if strings.Contains(res[0].Error, "timed out") {
		return nil, fmt.Errorf("%s: %w %s (%w)", what, ErrNotOnBridge, cl.bridge, ErrUncommitted)
	}
	return res[1:], nil
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
