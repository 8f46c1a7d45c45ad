// Package tcfilter reads the TC filters on a network device's ingress from
// the kernel over rtnetlink, as package hwoffload's TCFilter: protocol, pref,
// chain, handle, the hardware flags (skip_hw, skip_sw, in_hw, not_in_hw,
// in_hw_count) and each action with its software and hardware counters.
//
// vishvananda/netlink's typed FilterList does not expose in_hw/not_in_hw
// (and swaps flower's skip_hw/skip_sw when it parses them), so the dump is
// made with its socket API and the attributes are decoded here. The flags
// come from the classifier's own flags attribute (TCA_FLOWER_FLAGS,
// TCA_U32_FLAGS, TCA_MATCHALL_FLAGS, TCA_BPF_FLAGS_GEN), where the kernel
// sets TCA_CLS_FLAGS_IN_HW or TCA_CLS_FLAGS_NOT_IN_HW after asking the
// device's driver to offload the filter.
package tcfilter
