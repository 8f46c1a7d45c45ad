// Command floor is the benchmark's floor: the least any CNI plugin must do to
// attach one port to an OVS bridge. It connects to OVSDB with libovsdb,
// monitors only the Interface row it is about to create, commits the Port
// and Interface and the bridge's ports mutation in one transaction, and waits
// for the monitor update that shows ovs-vswitchd opened it (ofport > 0).
// Nothing else: no netlink, no sysfs, no state. One run is one sample.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-kubernetes/libovsdb/cache"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
)

type bridge struct {
	UUID  string   `ovsdb:"_uuid"`
	Name  string   `ovsdb:"name"`
	Ports []string `ovsdb:"ports"`
}

type port struct {
	UUID       string   `ovsdb:"_uuid"`
	Name       string   `ovsdb:"name"`
	Interfaces []string `ovsdb:"interfaces"`
}

type iface struct {
	UUID   string  `ovsdb:"_uuid"`
	Name   string  `ovsdb:"name"`
	Ofport *int    `ovsdb:"ofport"`
	Error  *string `ovsdb:"error"`
}

func main() {
	db := flag.String("db", "unix:/run/openvswitch/db.sock", "OVSDB endpoint")
	br := flag.String("bridge", "br-int", "bridge")
	name := flag.String("port", "", "port (and interface) name; the netdev must exist")
	timeout := flag.Duration("timeout", 20*time.Second, "overall timeout")
	flag.Parse()
	if err := run(*db, *br, *name, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(db, br, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dbm, err := model.NewClientDBModel("Open_vSwitch", map[string]model.Model{
		"Bridge": &bridge{}, "Port": &port{}, "Interface": &iface{}})
	if err != nil {
		return err
	}
	lg := logr.Discard()
	c, err := client.NewOVSDBClient(dbm, client.WithEndpoint(db), client.WithLogger(&lg))
	if err != nil {
		return err
	}
	if err := c.Connect(ctx); err != nil {
		return err
	}
	defer c.Close()
	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	c.Cache().AddEventHandler(&cache.EventHandlerFuncs{
		AddFunc:    func(string, model.Model) { poke() },
		UpdateFunc: func(string, model.Model, model.Model) { poke() },
	})
	var i iface
	if _, err := c.Monitor(ctx, c.NewMonitor(client.WithConditionalTable(&i,
		[]model.Condition{{Field: &i.Name, Function: ovsdb.ConditionEqual, Value: name}},
		&i.Name, &i.Ofport, &i.Error))); err != nil {
		return err
	}
	ops := []ovsdb.Operation{
		{Op: ovsdb.OperationInsert, Table: "Interface", UUIDName: "i", Row: ovsdb.Row{"name": name}},
		{Op: ovsdb.OperationInsert, Table: "Port", UUIDName: "p", Row: ovsdb.Row{"name": name,
			"interfaces": ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: "i"}}}}},
		{Op: ovsdb.OperationMutate, Table: "Bridge",
			Where:     []ovsdb.Condition{{Column: "name", Function: ovsdb.ConditionEqual, Value: br}},
			Mutations: []ovsdb.Mutation{{Column: "ports", Mutator: ovsdb.MutateOperationInsert, Value: ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: "p"}}}}}},
	}
	res, err := c.Transact(ctx, ops...)
	if err != nil {
		return err
	}
	if _, err := ovsdb.CheckOperationResults(res, ops); err != nil {
		return err
	}
	if res[2].Count != 1 {
		return fmt.Errorf("bridge %s not found", br)
	}
	for {
		var got []iface
		if err := c.WhereCache(func(x *iface) bool { return x.Name == name }).List(ctx, &got); err != nil {
			return err
		}
		if len(got) == 1 {
			if got[0].Ofport != nil && *got[0].Ofport > 0 {
				return nil
			}
			if got[0].Error != nil && *got[0].Error != "" {
				return fmt.Errorf("vswitchd could not open %s: %s", name, *got[0].Error)
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for ofport of %s: %w", name, ctx.Err())
		}
	}
}
