//go:build !vfo_faults

package offload

// faultPoint marks a point between two changes where a crash must be
// survivable. It does nothing in the shipped binary; the e2e tests build
// one with the vfo_faults tag that can die or pause there (fault_on.go).
func faultPoint(string) {}
