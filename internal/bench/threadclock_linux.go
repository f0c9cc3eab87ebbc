package bench

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadClock returns the CPU time of the calling OS thread.
func threadClock() func() time.Duration {
	return func() time.Duration {
		var ts unix.Timespec
		if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
			return 0
		}
		return time.Duration(ts.Nano())
	}
}
