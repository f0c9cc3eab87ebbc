package nn

import "github.com/segen/segen/isa"

// goEngine is the portable engine: plain Go, a 2×4 tile. 2×4 because scalar
// Go on amd64 has 16 float registers: 8 accumulators, 2 values of A and 4
// of B fit without spills, and two depth steps per iteration hide the loop
// overhead (~12 GFLOP/s per core here, against ~5 for 3×4 or 4×4 tiles,
// which spill). It is what non-amd64 builds, purego builds and CPUs without
// AVX2 + FMA run.
var goEngine = &engine{isa: isa.Go, mr: 2, nr: 4, mc: 64, kc: 256}

func init() { goEngine.kernel = goEngine.goKernel }

// goKernel is the micro-kernel of goEngine.
func (e *engine) goKernel(kc int, a []float32, lda int, b, c []float32, ldc, rows int, bias, res, sum []float32, flags int, _ []float32) {
	e.checkTile(kc, a, lda, b, c, ldc, rows, bias, res, sum, flags)
	for r := 0; r < rows; r += 2 {
		var t [2 * 4]float32
		ar := a[r*lda:]
		kernel2x4(&t, ar[:kc], ar[lda:lda+kc], b[:4*kc])
		var rr []float32
		if flags&tileResidual != 0 {
			rr = res[r*ldc:]
		}
		writeTile(t[:], 4, c[r*ldc:], ldc, min(2, rows-r), 4, bias, rr, sum, flags)
	}
}

// kernel2x4 sets t (row-major 2×4) to the product of rows a0 and a1 of A
// (equal lengths kc) and a packed B micro-panel (kc quads: b[4k:4k+4] are
// columns 0–3 at depth k).
func kernel2x4(t *[8]float32, a0, a1, b []float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	a1 = a1[:len(a0)]
	for len(a0) >= 2 && len(b) >= 8 {
		x0, x1, bb := a0[:2:2], a1[:2:2], b[:8:8]
		v0, v1 := x0[0], x1[0]
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		c00 += v0 * b0
		c01 += v0 * b1
		c02 += v0 * b2
		c03 += v0 * b3
		c10 += v1 * b0
		c11 += v1 * b1
		c12 += v1 * b2
		c13 += v1 * b3
		v0, v1 = x0[1], x1[1]
		b0, b1, b2, b3 = bb[4], bb[5], bb[6], bb[7]
		c00 += v0 * b0
		c01 += v0 * b1
		c02 += v0 * b2
		c03 += v0 * b3
		c10 += v1 * b0
		c11 += v1 * b1
		c12 += v1 * b2
		c13 += v1 * b3
		a0, a1, b = a0[2:], a1[2:], b[8:]
	}
	if len(a0) >= 1 && len(b) >= 4 {
		v0, v1, bb := a0[0], a1[0], b[:4:4]
		c00 += v0 * bb[0]
		c01 += v0 * bb[1]
		c02 += v0 * bb[2]
		c03 += v0 * bb[3]
		c10 += v1 * bb[0]
		c11 += v1 * bb[1]
		c12 += v1 * bb[2]
		c13 += v1 * bb[3]
	}
	t[0], t[1], t[2], t[3] = c00, c01, c02, c03
	t[4], t[5], t[6], t[7] = c10, c11, c12, c13
}

// writeTile writes rows 0…rows-1, columns 0…ncol-1 of the tile t (row
// stride nr) to c (stride ldc) with the write-back the flags select, as the
// assembly micro-kernels do. It is the portable kernel's write-back and
// merges the edge tiles of the others, which they compute into a scratch
// tile because a tile past the last output channel has nowhere to go.
func writeTile(t []float32, nr int, c []float32, ldc, rows, ncol int, bias, res, sum []float32, flags int) {
	for i := range rows {
		d := c[i*ldc : i*ldc+ncol]
		tt := t[i*nr : i*nr+ncol]
		var rr []float32
		if flags&tileResidual != 0 {
			rr = res[i*ldc : i*ldc+ncol]
		}
		for j, v := range tt {
			if flags&tileBias != 0 {
				v += bias[j]
			}
			if flags&tileAccumulate != 0 {
				v += d[j]
			}
			if rr != nil {
				v += rr[j]
			}
			if flags&tileReLU != 0 {
				v = relu(v)
			}
			d[j] = v
			if flags&tileSum != 0 {
				sum[j] += v
			}
		}
	}
}

// relu returns max(v, 0), keeping NaN as PyTorch does.
func relu(v float32) float32 {
	if v < 0 {
		return 0
	}
	return v
}
