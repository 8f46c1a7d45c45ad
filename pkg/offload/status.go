package offload

import (
	"context"
	"fmt"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/ovsdb"
)

const statusTimeout = 3 * time.Second

// Status is the CNI STATUS verb: ready when OVSDB answers and the bridge
// exists (else error 50); with requireOffload also when OVS has hw-offload
// on and an eswitch is in switchdev mode (else error 51).
func (p *Plugin) Status(args *skel.CmdArgs) error {
	c, err := p.newConfCall(args)
	if err != nil {
		return err
	}
	defer c.close()
	ovs, err := ovsdb.Dial(context.Background(), c.conf.OVSDB, statusTimeout, c.log, c.conf.Bridge)
	if err != nil {
		return types.NewError(types.ErrPluginNotAvailable, fmt.Sprintf("OVSDB %s does not answer", c.conf.OVSDB), err.Error())
	}
	defer ovs.Close()
	if _, err := ovs.BridgeUUID(); err != nil {
		return types.NewError(types.ErrPluginNotAvailable, fmt.Sprintf("bridge %s does not exist", c.conf.Bridge), err.Error())
	}
	if !c.conf.RequireOffload {
		return nil
	}
	if why := offloadMissing(ovs); why != "" {
		return types.NewError(types.ErrLimitedConnectivity, "hardware offload is not available: "+why, "")
	}
	return nil
}

// offloadMissing says what keeps the node from offloading, "" when nothing.
func offloadMissing(ovs *ovsdb.Client) string {
	oc, err := ovs.OtherConfig()
	if err != nil {
		return err.Error()
	}
	if oc["hw-offload"] != "true" {
		return "OVS other_config:hw-offload is not true"
	}
	devs, err := netlink.DevLinkGetDeviceList()
	if err != nil {
		return fmt.Sprintf("no devlink devices (%v): no eswitch in switchdev mode", err)
	}
	for _, d := range devs {
		if d.Attrs.Eswitch.Mode == "switchdev" {
			return ""
		}
	}
	return "no eswitch is in switchdev mode"
}
