package ovsdb

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/ovn-kubernetes/libovsdb/ovsdb"
)

// OpenFlow port numbers ovs-vswitchd never assigns by itself: it allocates
// from the lower half of the range and leaves the upper half to requests.
const (
	firstRequestable = 32768
	lastRequestable  = 0xfeff // OFPP_MAX
	claimTries       = 8
)

// ErrNotOnBridge is returned by Claim when the port left the bridge.
var ErrNotOnBridge = errors.New("port is not on the bridge")

// ErrUncommitted marks a Claim error after which the database is known to
// be unchanged: the transaction was never sent, or the server refused it.
var ErrUncommitted = errors.New("nothing was changed in OVSDB")

// Claim makes ovs-vswitchd reopen port p's interface, keeping its Port and
// Interface rows, so that the port binds to whatever netdev carries p's
// name now. vswitchd matches interfaces by name and keeps an open netdev
// across a kernel rename; a changed ofport_request is what makes it delete
// the datapath port and add it again, opening the name anew. One
// transaction sets external_ids to ids and ofport_request to a number that
// no other interface holds or requests; it fails unless p is still on the
// bridge. Claim returns that number once the transaction is committed,
// without waiting for vswitchd: WaitOfport does, so that the caller can do
// other work while vswitchd reconfigures.
func (cl *Client) Claim(ctx context.Context, p *PortInfo, ids map[string]string) (int, error) {
	var lastErr error
	for try := range claimTries {
		want := requestCandidate(p.Name, p.Ofport, try)
		if want == p.OfportRequest || want == p.Ofport {
			continue
		}
		err := cl.claimAs(ctx, p, ids, want)
		if err == nil {
			return want, nil
		}
		if !errors.Is(err, errNumberTaken) {
			return 0, err
		}
		lastErr = err
	}
	return 0, fmt.Errorf("claim port %s: no free OpenFlow port number after %d tries: %w (%w)", p.Name, claimTries, lastErr, ErrUncommitted)
}

var errNumberTaken = errors.New("OpenFlow port number taken")

// requestCandidate is the try-th number Claim asks for. The first mirrors
// the interface's own ofport (< 32768, unique among open ports) into the
// upper half, so that concurrent claims of different ports do not collide;
// later ones hash the port name.
func requestCandidate(name string, ofport, try int) int {
	span := lastRequestable - firstRequestable + 1
	if try == 0 && ofport > 0 && ofport < span {
		return firstRequestable + ofport
	}
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", name, try)
	return firstRequestable + int(h.Sum32()%uint32(span))
}

func (cl *Client) claimAs(ctx context.Context, p *PortInfo, ids map[string]string, want int) error {
	zero := 0
	// "until != [{col: want}]" over the rows whose col is want, projected
	// on col: all such rows are that one row, so the wait passes only
	// when there are none.
	free := func(col string) ovsdb.Operation {
		return ovsdb.Operation{Op: ovsdb.OperationWait, Table: "Interface", Timeout: &zero,
			Where:   []ovsdb.Condition{{Column: col, Function: ovsdb.ConditionEqual, Value: want}},
			Columns: []string{col}, Until: string(ovsdb.WaitConditionNotEqual), Rows: []ovsdb.Row{{col: want}}}
	}
	iface := &Interface{UUID: p.IfaceUUID, ExternalIDs: ids, OfportRequest: &want}
	upd, err := cl.c.Where(iface).Update(iface, &iface.ExternalIDs, &iface.OfportRequest)
	if err != nil {
		return fmt.Errorf("build claim of port %s: %w (%w)", p.Name, err, ErrUncommitted)
	}
	ops := append([]ovsdb.Operation{free("ofport"), free("ofport_request")}, upd...)
	res, err := cl.transactOnBridge(ctx, "claim port "+p.Name, p.PortUUID, ops)
	if err != nil {
		return err
	}
	// A transaction with a failed operation is not committed at all.
	for i, r := range res {
		if r.Error == "" {
			continue
		}
		if i <= 1 && strings.Contains(r.Error, "timed out") { // the free() waits
			return fmt.Errorf("claim port %s as OpenFlow port %d: %w", p.Name, want, errNumberTaken)
		}
		return fmt.Errorf("ovsdb %s: transaction claim port %s: %s: %s (%w)", cl.server, p.Name, r.Error, r.Details, ErrUncommitted)
	}
	if _, err := ovsdb.CheckOperationResults(res, ops); err != nil {
		return fmt.Errorf("ovsdb transaction claim port %s: %w", p.Name, err)
	}
	return nil
}

// OnBridge reports whether port p is a port of the configured bridge,
// asking the server rather than downloading the bridge's ports. A nil p is
// on no bridge.
func (cl *Client) OnBridge(ctx context.Context, p *PortInfo) (bool, error) {
	if p == nil {
		return false, nil
	}
	sel := ovsdb.Operation{Op: ovsdb.OperationSelect, Table: "Bridge", Columns: []string{"name"}, Where: cl.holding(p.PortUUID)}
	res, err := cl.transact(ctx, "find port on "+cl.bridge, []ovsdb.Operation{sel})
	if err != nil {
		return false, err
	}
	return len(res[0].Rows) == 1, nil
}

// WaitOfport waits until ovs-vswitchd has opened interface ifaceUUID as
// OpenFlow port want; an interface error ends the wait at once.
func (cl *Client) WaitOfport(ctx context.Context, ifaceUUID, name string, want int) (int, error) {
	return cl.waitIface(ctx, ifaceUUID, name, func(ofport int) bool { return ofport == want })
}

// holding selects the configured bridge if it holds port portUUID.
func (cl *Client) holding(portUUID string) []ovsdb.Condition {
	return []ovsdb.Condition{
		{Column: "name", Function: ovsdb.ConditionEqual, Value: cl.bridge},
		{Column: "ports", Function: ovsdb.ConditionIncludes, Value: ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: portUUID}}}},
	}
}
