package nn

import "time"

// FMAPeak measures what one core sustains in GFLOP/s on a loop of
// independent register-only FMAs at the width of the convolution engine's
// instruction set: the yardstick GEMM throughput is quoted against. It
// spends about d, keeps the fastest of several timed chunks (a shared
// machine only ever slows a chunk down), and returns 0 when the engine has
// no SIMD loop (the plain-Go engine), with the ISA measured.
func FMAPeak(d time.Duration) (gflops float64, isa string) {
	e := defaultEngine
	isa, loop := e.isa.String(), e.fmaPeak
	if loop == nil {
		return 0, isa
	}
	const iters = 1 << 16
	flopsPerIter := float64(fmaPeakFlops[e.isa])
	loop(iters) // warm up: wake the vector units to full clock
	end := time.Now().Add(d)
	for chunk := 0; chunk < 5 || time.Now().Before(end); chunk++ {
		start := time.Now()
		loop(iters)
		if s := time.Since(start).Seconds(); s > 0 {
			gflops = max(gflops, flopsPerIter*iters/s/1e9)
		}
	}
	return gflops, isa
}
