package realkubeovn

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/ovn-kubernetes/libovsdb/cache"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
)

// iface is the part of OVS's Interface row the ovn-controller stand-in reads.
type iface struct {
	UUID        string            `ovsdb:"_uuid"`
	Name        string            `ovsdb:"name"`
	ExternalIDs map[string]string `ovsdb:"external_ids"`
	Ofport      *int              `ovsdb:"ofport"`
}

// Binder stands in for ovn-controller's one visible act on a node's OVSDB:
// once an Interface that carries external_ids:iface-id is open in
// ovs-vswitchd (ofport > 0), it sets external_ids:ovn-installed=true, which
// Kube-OVN's ADD waits for. Bound counts the interfaces it marked.
type Binder struct {
	c      client.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup
	kick   chan struct{}
	mu     sync.Mutex
	Bound  []string
	Errs   []error // what failed, for a test's failure message
}

func (b *Binder) fail(err error) {
	b.mu.Lock()
	b.Errs = append(b.Errs, err)
	b.mu.Unlock()
}

// StartBinder connects to the OVSDB at endpoint ("unix:<path>") and marks
// interfaces until Close.
func StartBinder(ctx context.Context, endpoint string) (*Binder, error) {
	dbm, err := model.NewClientDBModel("Open_vSwitch", map[string]model.Model{"Interface": &iface{}})
	if err != nil {
		return nil, fmt.Errorf("ovn stand-in: model: %w", err)
	}
	b := &Binder{kick: make(chan struct{}, 1)}
	lg := funcr.New(func(prefix, args string) { b.fail(fmt.Errorf("libovsdb: %s %s", prefix, args)) }, funcr.Options{Verbosity: 0})
	c, err := client.NewOVSDBClient(dbm, client.WithEndpoint(endpoint), client.WithLogger(&lg))
	if err != nil {
		return nil, fmt.Errorf("ovn stand-in: client for %s: %w", endpoint, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Connect(cctx); err != nil {
		return nil, fmt.Errorf("ovn stand-in: connect %s: %w", endpoint, err)
	}
	b.c = c
	poke := func() {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	c.Cache().AddEventHandler(&cache.EventHandlerFuncs{
		AddFunc:    func(string, model.Model) { poke() },
		UpdateFunc: func(string, model.Model, model.Model) { poke() },
	})
	// Monitor only the model's columns: updates of columns the model
	// lacks would fail to apply to the cache.
	var row iface
	if _, err := c.Monitor(cctx, c.NewMonitor(client.WithTable(&row, &row.Name, &row.ExternalIDs, &row.Ofport))); err != nil {
		c.Close()
		return nil, fmt.Errorf("ovn stand-in: monitor Interface: %w", err)
	}
	rctx, rcancel := context.WithCancel(context.Background())
	b.cancel = rcancel
	b.wg.Add(1)
	go b.run(rctx)
	poke()
	return b, nil
}

func (b *Binder) run(ctx context.Context) {
	defer b.wg.Done()
	tick := time.NewTicker(500 * time.Millisecond) // a safety net; events drive it
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		case <-tick.C:
		}
		var rows []iface
		if err := b.c.List(ctx, &rows); err != nil {
			b.fail(fmt.Errorf("list interfaces: %w", err))
			continue
		}
		for i := range rows {
			r := &rows[i]
			if r.ExternalIDs["iface-id"] == "" || r.ExternalIDs["ovn-installed"] == "true" || r.Ofport == nil || *r.Ofport <= 0 {
				continue
			}
			ops, err := b.c.Where(r).Mutate(r, model.Mutation{Field: &r.ExternalIDs, Mutator: ovsdb.MutateOperationInsert,
				Value: map[string]string{"ovn-installed": "true"}})
			if err != nil {
				b.fail(fmt.Errorf("mutate %s: %w", r.Name, err))
				continue
			}
			tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			res, err := b.c.Transact(tctx, ops...)
			cancel()
			if err == nil {
				_, err = ovsdb.CheckOperationResults(res, ops)
			}
			if err != nil {
				b.fail(fmt.Errorf("set ovn-installed on %s: %w", r.Name, err))
				continue
			}
			b.mu.Lock()
			b.Bound = append(b.Bound, r.Name)
			b.mu.Unlock()
		}
	}
}

// Close stops the stand-in.
func (b *Binder) Close() {
	b.cancel()
	b.wg.Wait()
	b.c.Close()
}
