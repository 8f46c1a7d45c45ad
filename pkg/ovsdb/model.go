// Package ovsdb is vf-offload's Open_vSwitch database client: typed models of
// the few columns it needs, a conditional monitor of only the rows one CNI
// call touches, and one transaction per change.
package ovsdb

import "github.com/ovn-kubernetes/libovsdb/model"

// Bridge is the subset of the Bridge table vf-offload reads and mutates.
// Ports is only mutated, never monitored: its size grows with the bridge.
type Bridge struct {
	UUID         string   `ovsdb:"_uuid"`
	Name         string   `ovsdb:"name"`
	Ports        []string `ovsdb:"ports"`
	DatapathType string   `ovsdb:"datapath_type"`
}

// Port is the subset of the Port table vf-offload uses.
type Port struct {
	UUID        string            `ovsdb:"_uuid"`
	Name        string            `ovsdb:"name"`
	Interfaces  []string          `ovsdb:"interfaces"`
	ExternalIDs map[string]string `ovsdb:"external_ids"`
}

// Interface is the subset of the Interface table vf-offload uses.
type Interface struct {
	UUID          string            `ovsdb:"_uuid"`
	Name          string            `ovsdb:"name"`
	Type          string            `ovsdb:"type"`
	Ofport        *int              `ovsdb:"ofport"`
	OfportRequest *int              `ovsdb:"ofport_request"`
	Error         *string           `ovsdb:"error"`
	ExternalIDs   map[string]string `ovsdb:"external_ids"`
}

// OpenvSwitch is the root row; other_config holds hw-offload and tc-policy.
type OpenvSwitch struct {
	UUID        string            `ovsdb:"_uuid"`
	OtherConfig map[string]string `ovsdb:"other_config"`
	NextCfg     int               `ovsdb:"next_cfg"`
	CurCfg      int               `ovsdb:"cur_cfg"`
}

func dbModel() (model.ClientDBModel, error) {
	return model.NewClientDBModel("Open_vSwitch", map[string]model.Model{
		"Bridge":       &Bridge{},
		"Port":         &Port{},
		"Interface":    &Interface{},
		"Open_vSwitch": &OpenvSwitch{},
	})
}
