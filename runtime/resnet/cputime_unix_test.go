//go:build unix

package resnet

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used so far, user and
// system: on a shared machine, what a benchmark costs without the time it
// waited for a core.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
