//go:build !linux

package bench

import "time"

// threadClock is nil where the thread's CPU clock is not read: the
// profile uses the wall clock.
func threadClock() func() time.Duration { return nil }
