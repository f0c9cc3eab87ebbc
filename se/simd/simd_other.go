//go:build !amd64 || purego

package simd

// The kernel methods are never reached without assembly (package isa
// chooses Go, so New returns the generic kernel), but must exist for the
// type to compile.

func (k kernel) squeeze(z, x []float32)                  { panic("simd: no assembly in this build") }
func (k kernel) scale(dst, x, s, res []float32)          { panic("simd: no assembly in this build") }
func (k kernel) fc(sigmoid bool, dst, w, x, b []float32) { panic("simd: no assembly in this build") }
