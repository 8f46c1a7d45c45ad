package ovsdb

import "testing"

func TestRequestCandidate(t *testing.T) {
	span := lastRequestable - firstRequestable + 1
	for _, tc := range []struct {
		name        string
		port        string
		ofport, try int
		want        int
	}{
		{"own ofport mirrored", "0123456789ab_h", 5, 0, firstRequestable + 5},
		{"smallest ofport", "0123456789ab_h", 1, 0, firstRequestable + 1},
		{"largest ofport that fits", "0123456789ab_h", span - 1, 0, lastRequestable},
		// Fixed values: a number depends on the port name and the try only.
		{"ofport too large: hashed", "0123456789ab_h", span, 0, 35233},
		{"no ofport yet: hashed", "0123456789ab_h", 0, 0, 35233},
		{"ofport -1 (failed to open): hashed", "0123456789ab_h", -1, 0, 35233},
		{"later try: hashed", "0123456789ab_h", 5, 1, 33806},
		{"another name", "x_h", 5, 2, 45693},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := requestCandidate(tc.port, tc.ofport, tc.try); got != tc.want {
				t.Errorf("requestCandidate(%q, %d, %d) = %d, want %d", tc.port, tc.ofport, tc.try, got, tc.want)
			}
		})
	}
	// Every candidate is one vswitchd never assigns itself, and the tries
	// for one port do not repeat a number.
	for _, port := range []string{"0123456789ab_h", "01234567_net1_h", "abc_h"} {
		seen := map[int]int{}
		for try := range claimTries {
			n := requestCandidate(port, 7, try)
			if n < firstRequestable || n > lastRequestable {
				t.Errorf("%s try %d: %d outside %d-%d", port, try, n, firstRequestable, lastRequestable)
			}
			if prev, ok := seen[n]; ok {
				t.Errorf("%s: tries %d and %d both ask for %d", port, prev, try, n)
			}
			seen[n] = try
		}
	}
}
