//go:build !linux

package nn

import "runtime"

// osYield stands in for sched_yield where there is none: the Go scheduler's
// yield, which lets at least this thread's other goroutines run.
func osYield() { runtime.Gosched() }
