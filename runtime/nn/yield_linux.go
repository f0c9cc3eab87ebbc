package nn

import "syscall"

// osYield gives the calling thread's core to another runnable thread, if
// one waits for it (sched_yield).
func osYield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
