//go:build !amd64 || purego

package isa

// cpuRuns reports false: this build has no assembly.
func cpuRuns(ISA) bool { return false }
