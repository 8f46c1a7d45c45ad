package ovsdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-kubernetes/libovsdb/cache"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
)

// ErrNoBridge is returned when the configured bridge does not exist.
var ErrNoBridge = errors.New("bridge not found")

// Client talks to one ovsdb-server. It monitors only the bridge and the
// port/interface names given to Dial, so its cost does not grow with the
// number of ports on the bridge.
type Client struct {
	c       client.Client
	timeout time.Duration
	bridge  string
	changed chan struct{}
	server  string // the endpoint, named in transaction errors
}

// Dial connects to endpoint (unix:/path, tcp:host:port) and monitors the
// bridge row named bridge and the Port and Interface rows with the given
// names. Every call, this one included, is bounded by timeout.
func Dial(ctx context.Context, endpoint string, timeout time.Duration, log *slog.Logger, bridge string, names ...string) (*Client, error) {
	return dial(ctx, endpoint, timeout, log, bridge, names, nil)
}

func dial(ctx context.Context, endpoint string, timeout time.Duration, log *slog.Logger, bridge string, names []string, marker map[string]string) (*Client, error) {
	dbm, err := dbModel()
	if err != nil {
		return nil, fmt.Errorf("ovsdb model: %w", err)
	}
	lg := logr.FromSlogHandler(log.Handler()).V(4)
	c, err := client.NewOVSDBClient(dbm, client.WithEndpoint(endpoint), client.WithLogger(&lg))
	if err != nil {
		return nil, fmt.Errorf("ovsdb client for %s: %w", endpoint, err)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.Connect(cctx); err != nil {
		return nil, fmt.Errorf("connect to ovsdb %s: %w", endpoint, err)
	}
	cl := &Client{c: c, timeout: timeout, bridge: bridge, changed: make(chan struct{}, 1), server: endpoint}
	c.Cache().AddEventHandler(&cache.EventHandlerFuncs{
		AddFunc:    func(string, model.Model) { cl.poke() },
		UpdateFunc: func(string, model.Model, model.Model) { cl.poke() },
		DeleteFunc: func(string, model.Model) { cl.poke() },
	})
	if _, err := c.Monitor(cctx, cl.monitor(names, marker)); err != nil {
		c.Close()
		return nil, fmt.Errorf("monitor ovsdb %s: %w", endpoint, err)
	}
	return cl, nil
}

// DialMarked is Dial for the Interface rows whose external_ids hold key=value
// (vf-offload's ownership marker), with no Port rows: used by GC.
func DialMarked(ctx context.Context, endpoint string, timeout time.Duration, log *slog.Logger, bridge, key, value string) (*Client, error) {
	return dial(ctx, endpoint, timeout, log, bridge, nil, map[string]string{key: value})
}

func (cl *Client) monitor(names []string, marker map[string]string) *client.Monitor {
	var br Bridge
	var port Port
	var iface Interface
	brConds := []model.Condition{{Field: &br.Name, Function: ovsdb.ConditionEqual, Value: cl.bridge}}
	var portConds, ifaceConds []model.Condition
	for _, n := range names {
		portConds = append(portConds, model.Condition{Field: &port.Name, Function: ovsdb.ConditionEqual, Value: n})
		ifaceConds = append(ifaceConds, model.Condition{Field: &iface.Name, Function: ovsdb.ConditionEqual, Value: n})
	}
	var root OpenvSwitch
	// Every monitored column must be a field of the partial models.
	opts := []client.MonitorOption{
		client.WithConditionalTable(&br, brConds, &br.Name, &br.DatapathType),
		client.WithTable(&root, &root.CurCfg, &root.NextCfg, &root.OtherConfig),
	}
	if marker != nil {
		opts = append(opts, client.WithConditionalTable(&iface,
			[]model.Condition{{Field: &iface.ExternalIDs, Function: ovsdb.ConditionIncludes, Value: marker}},
			&iface.Name, &iface.Type, &iface.Ofport, &iface.OfportRequest, &iface.Error, &iface.ExternalIDs))
	} else if len(names) > 0 { // no condition would mean every row
		opts = append(opts,
			client.WithConditionalTable(&port, portConds, &port.Name, &port.Interfaces, &port.ExternalIDs),
			client.WithConditionalTable(&iface, ifaceConds, &iface.Name, &iface.Type, &iface.Ofport, &iface.OfportRequest, &iface.Error, &iface.ExternalIDs))
	}
	return cl.c.NewMonitor(opts...)
}

func (cl *Client) poke() {
	select {
	case cl.changed <- struct{}{}:
	default:
	}
}

// Close ends the session.
func (cl *Client) Close() { cl.c.Close() }

func (cl *Client) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, cl.timeout)
}

func (cl *Client) transact(ctx context.Context, what string, ops []ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	cctx, cancel := cl.ctx(ctx)
	defer cancel()
	res, err := cl.c.Transact(cctx, ops...)
	if err != nil {
		return nil, fmt.Errorf("ovsdb %s: transaction %s: %w", cl.server, what, err)
	}
	if _, err := ovsdb.CheckOperationResults(res, ops); err != nil {
		return nil, fmt.Errorf("ovsdb %s: transaction %s: %w", cl.server, what, err)
	}
	return res, nil
}
