// Package cputime reads the CPU time the process has used, for the
// benchmarks: on a shared machine, work per CPU-second says what code does
// when it runs, blind to the time it waited for a core.
package cputime
