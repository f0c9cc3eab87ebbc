//go:build !amd64 || purego

package nn

// simdEngines returns no engines: this build has no assembly.
func simdEngines() []*engine { return nil }

// fmaPeak reports no SIMD FMA loop on this build.
func fmaPeak(string) func(n int) float32 { return nil }
