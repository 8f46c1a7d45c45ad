// Package hwoffload answers the question users of switchdev offload ask most
// ("is my pod actually offloaded?") for one pod's VF representor. It is the
// parsing and verdict half of `vf-offload doctor`, whose command (package
// doctor) gathers the inputs.
//
// It reads what Open vSwitch and the kernel already report:
//
//   - `ovs-appctl dpctl/dump-flows -m` (optionally `type=offloaded` or
//     `type=ovs`): which datapath flows touch the representor, whether each
//     one is in hardware (`offloaded:yes`), partly offloaded
//     (`offloaded:partial`), in TC software only (`dp:tc` without
//     `offloaded:`) or in the OVS datapath (`dp:ovs`), and whether its
//     actions need something the NIC cannot do (OVN load balancing with
//     `hash(...)`/`dp_hash`, `userspace(...)`, `sample(...)`);
//   - `tc -s filter show dev <representor> ingress`: the flower filters OVS
//     put on the representor, `in_hw`/`not_in_hw` and the hardware counters;
//   - node settings (other_config:hw-offload, tc-policy, the uplink's eswitch
//     mode, hw-tc-offload, the bridge's datapath type).
//
// Verdict turns these into one level (offloaded, partly offloaded, not
// offloaded), the most likely reason, and one line per flow or filter.
//
// The parsers and Verdict are pure: they take command output as strings and
// do no I/O. Package doctor reads OVS and the kernel and hands them what it
// read (live TC filters come over netlink, through package tcfilter, in the
// same TCFilter form). The test bed has no hardware offload (no switchdev
// NIC, no cls_flower, only the userspace datapath), so `offloaded:yes` flows
// cannot appear there: the tests use recorded outputs in testdata/, some
// captured on the bed's real OVS and some constructed in the real formats
// (see testdata/README.md).
package hwoffload
