package realkubeovn

import "context"

// API is what the stand-ins need of the Kubernetes API server
// (e2e/cluster.Cluster implements it).
type API interface {
	Apply(ctx context.Context, data []byte) error
	Get(ctx context.Context, path string, out any) error
	Patch(ctx context.Context, path string, mergePatch any) error
	Delete(ctx context.Context, path string) error
}
