package offload

import (
	"fmt"
	"os"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/vf-offload/vf-offload/pkg/config"
)

// RefuseOversizedEnv runs before the CNI library parses the environment: the
// library echoes a bad CNI_CONTAINERID whole in its error, so an absurdly
// long one (10 KB) is refused here with the value cut short.
func RefuseOversizedEnv() *types.Error {
	id := os.Getenv("CNI_CONTAINERID")
	if len(id) <= 256 {
		return nil
	}
	return types.NewError(types.ErrInvalidEnvironmentVariables, "invalid CNI environment",
		fmt.Sprintf("CNI_CONTAINERID of %d bytes: %v", len(id), config.ValidateContainerID(id)))
}
