package ovsdb

import (
	"context"
	"fmt"

	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
)

// Barrier returns once ovs-vswitchd has applied every change committed so
// far: it increments Open_vSwitch next_cfg and waits until vswitchd reports
// that value in cur_cfg (the handshake ovs-vsctl uses).
func (cl *Client) Barrier(ctx context.Context) error {
	var roots []OpenvSwitch
	if err := cl.c.List(ctx, &roots); err != nil || len(roots) != 1 {
		return fmt.Errorf("read Open_vSwitch root row: %d rows, %v", len(roots), err)
	}
	root := &roots[0]
	ops, err := cl.c.Where(root).Mutate(root, model.Mutation{Field: &root.NextCfg, Mutator: ovsdb.MutateOperationAdd, Value: 1})
	if err != nil {
		return fmt.Errorf("build next_cfg increment: %w", err)
	}
	sel := ovsdb.Operation{Op: ovsdb.OperationSelect, Table: "Open_vSwitch", Columns: []string{"next_cfg"},
		Where: []ovsdb.Condition{{Column: "_uuid", Function: ovsdb.ConditionEqual, Value: ovsdb.UUID{GoUUID: root.UUID}}}}
	res, err := cl.transact(ctx, "increment next_cfg", append(ops, sel))
	if err != nil {
		return err
	}
	rows := res[len(res)-1].Rows
	if len(rows) != 1 {
		return fmt.Errorf("read next_cfg: %d rows", len(rows))
	}
	var want float64
	switch v := rows[0]["next_cfg"].(type) {
	case float64:
		want = v
	case int:
		want = float64(v)
	default:
		return fmt.Errorf("read next_cfg: unexpected %T", v)
	}
	cctx, cancel := cl.ctx(ctx)
	defer cancel()
	for {
		roots = nil // List only fills a slice up to its capacity: a full one would stay stale
		if err := cl.c.List(cctx, &roots); err == nil && len(roots) == 1 && float64(roots[0].CurCfg) >= want {
			return nil
		}
		select {
		case <-cl.changed:
		case <-cctx.Done():
			return fmt.Errorf("wait for ovs-vswitchd to apply the configuration: %w", cctx.Err())
		}
	}
}
