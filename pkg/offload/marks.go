package offload

import "maps"

// external_ids keys vf-offload adds to the representor's Interface row.
const (
	markOwner     = "vf-offload"
	markPCI       = "vf-offload-pci"
	markContainer = "vf-offload-container"
)

// markedIDs returns a copy of ids with vf-offload's markers for VF pci
// attached to container cid.
func markedIDs(ids map[string]string, pci, cid string) map[string]string {
	out := maps.Clone(ids)
	if out == nil {
		out = map[string]string{}
	}
	out[markOwner], out[markPCI], out[markContainer] = "true", pci, cid
	return out
}
