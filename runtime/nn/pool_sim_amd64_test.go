//go:build amd64 && !purego

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/segen/segen/internal/asmsim"
	"github.com/segen/segen/isa"
)

// TestPoolKernelsSimulated runs the window pooling kernels of
// pool_amd64.s, AVX-512's included, on the interpreter (internal/asmsim)
// against a plain Go window loop: windows of 1 to 3 by 1 to 3, one and two
// channel vectors, pixels and rows spaced wider than the channels, NaNs in
// the input (the maximum keeps them). src and dst are exactly as long as
// the window and the chunks, and the interpreter fails any access outside
// them; the CPU runs the kernels it has on the same slices.
func TestPoolKernelsSimulated(t *testing.T) {
	prog := simProgram(t, "pool_amd64.s")
	native := nativeISAs()
	r := rand.New(rand.NewPCG(23, 24))
	for _, k := range []struct {
		isa      isa.ISA
		max, avg string
		maxPool  maxPoolKernel
		avgPool  avgPoolKernel
	}{
		{isa.AVX512, "maxPoolAVX512", "avgPoolAVX512", maxPoolAVX512, avgPoolAVX512},
		{isa.AVX2, "maxPoolAVX2", "avgPoolAVX2", maxPoolAVX2, avgPoolAVX2},
	} {
		lanes := asmTiles[k.isa].lanes
		for _, chunks := range []int{1, 2} {
			for kh := 1; kh <= 3; kh++ {
				for kw := 1; kw <= 3; kw++ {
					c := chunks * lanes
					pix, row := c+1, kw*(c+1)+3
					src := randSlice(r, (kh-1)*row+(kw-1)*pix+c)
					src[r.IntN(len(src))] = float32(math.NaN())
					div := float32(kh*kw + 1)
					wantMax, wantAvg := make([]float32, c), make([]float32, c)
					for i := range c {
						m, s := src[i], float32(0)
						for y := range kh {
							for x := range kw {
								v := src[y*row+x*pix+i]
								if v > m || v != v {
									m = v
								}
								s += v
							}
						}
						wantMax[i], wantAvg[i] = m, s/div
					}
					what := fmt.Sprintf("%d×%d window, %d channels", kh, kw, c)
					for _, p := range []struct {
						name string
						div  []asmsim.Arg
						want []float32
					}{{k.max, nil, wantMax}, {k.avg, []asmsim.Arg{div}, wantAvg}} {
						dst := asmsim.Floats(make([]float32, c))
						args := append([]asmsim.Arg{dst, asmsim.Floats(src), chunks, pix, row, kh, kw}, p.div...)
						if err := prog.Call(p.name, 1<<16, args...); err != nil {
							t.Fatalf("%s, %s: %v", p.name, what, err)
						}
						samePool(t, p.name+", "+what, dst.Floats(), p.want)
					}
					if native[k.isa] {
						got := make([]float32, c)
						k.maxPool(&got[0], &src[0], chunks, pix, row, kh, kw)
						samePool(t, k.max+" on the CPU, "+what, got, wantMax)
						k.avgPool(&got[0], &src[0], chunks, pix, row, kh, kw, div)
						samePool(t, k.avg+" on the CPU, "+what, got, wantAvg)
					}
				}
			}
		}
	}
}

// samePool fails unless got is want bit for bit, NaN for NaN.
func samePool(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i, v := range got {
		if v != want[i] && (v == v || want[i] == want[i]) {
			t.Fatalf("%s: channel %d = %v, want %v", what, i, v, want[i])
		}
	}
}
