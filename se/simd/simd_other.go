//go:build !amd64 || purego

package simd

// supported lists the instruction sets this build runs: none but Go, so New
// returns se's generic kernels and init registers no fallback.
func supported() []isa { return []isa{isaGo} }

// The kernel methods are never reached without assembly (New returns the
// generic kernel), but must exist for the type to compile.

func (k kernel) squeeze(z, x []float32)                  { panic("simd: no assembly in this build") }
func (k kernel) scale(dst, x, s, res []float32)          { panic("simd: no assembly in this build") }
func (k kernel) fc(sigmoid bool, dst, w, x, b []float32) { panic("simd: no assembly in this build") }
