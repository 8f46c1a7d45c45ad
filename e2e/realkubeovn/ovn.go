package realkubeovn

import (
	"context"
	"fmt"
	"sync"
	"time"

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
}

// StartBinder connects to the OVSDB at endpoint ("unix:<path>") and marks
// interfaces until Close.
func StartBinder(ctx context.Context, endpoint string) (*Binder, error) {
	dbm, err := model.NewClientDBModel("Open_vSwitch", map[string]model.Model{"Interface": &iface{}})
	if err != nil {
		return nil, fmt.Errorf("ovn stand-in: model: %w", err)
	}
	c, err := client.NewOVSDBClient(dbm, client.WithEndpoint(endpoint))
	if err != nil {
		return nil, fmt.Errorf("ovn stand-in: client for %s: %w", endpoint, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Connect(cctx); err != nil {
		return nil, fmt.Errorf("ovn stand-in: connect %s: %w", endpoint, err)
	}
	b := &Binder{c: c, kick: make(chan struct{}, 1)}
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
	if _, err := c.Monitor(cctx, c.NewMonitor(client.WithTable(&iface{}))); err != nil {
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
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		}
		var rows []iface
		if err := b.c.List(ctx, &rows); err != nil {
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
				continue
			}
			tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if _, err := b.c.Transact(tctx, ops...); err == nil {
				b.mu.Lock()
				b.Bound = append(b.Bound, r.Name)
				b.mu.Unlock()
			}
			cancel()
		}
	}
}

// Close stops the stand-in.
func (b *Binder) Close() {
	b.cancel()
	b.wg.Wait()
	b.c.Close()
}
