//go:build unix

package cputime

import "testing"

// TestUsedGrows checks that Used counts: positive once the binary has run,
// moving while the process computes, never going back.
func TestUsedGrows(t *testing.T) {
	start := Used()
	if start <= 0 {
		t.Fatalf("Used() = %v in a running test binary", start)
	}
	now := start
	for i := 0; now == start; i++ {
		if i == 1e8 {
			t.Fatal("Used() did not move in 10⁸ calls")
		}
		now = Used()
	}
	if now < start {
		t.Errorf("Used() went back: %v after %v", now, start)
	}
}
