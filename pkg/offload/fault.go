//go:build !vfo_faults

package offload

// faultPoint marks a point between two changes where a crash or a failure
// must be survivable. It does nothing in the shipped binary; the e2e tests
// build one with the vfo_faults tag that can die, pause or fail there
// (fault_on.go).
func faultPoint(string) error { return nil }
