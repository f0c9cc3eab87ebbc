package nn

// The GEMM behind every convolution: dst[M×N] = A[M×K] · B[K×N] + bias, with
// A the im2col view of the input (never materialised: packA copies a block
// of it straight from the NHWC activation) and B the weights, packed once at
// load. It is blocked the classic way (Goto/BLIS): a task owns mc output rows
// and a range of nr-wide column panels; for each kc-deep slice of K it packs
// its rows of A into mr-row micro-panels, then runs the mr×nr micro-kernel
// over every (micro-panel, column panel) pair, keeping the mr×nr accumulators
// in registers for the whole kc loop.
const (
	mr = 2   // micro-tile rows (output pixels)
	nr = 4   // micro-tile columns (output channels)
	mc = 64  // rows of A per task and packed block; a multiple of mr
	kc = 256 // depth of a packed block: mc×kc floats (64 KiB) stay in L1/L2
)

// The micro-tile is 2×4 because scalar Go on amd64 has 16 float registers:
// 8 accumulators, 2 values of A and 4 of B fit without spills, and two
// k-steps per iteration hide the loop overhead. Measured on this machine's
// 2 cores: ~13 GFLOP/s per core for the kernel alone, against ~9 for the
// same tile without unrolling and ~5 for 3×4 or 4×4 tiles, which spill.

// kernel2x4 sets t (row-major 2×4) to the product of a packed A micro-panel
// (kb pairs: a[2k], a[2k+1] are rows 0 and 1 at depth k) and a packed B
// micro-panel (kb quads: b[4k:4k+4] are columns 0–3 at depth k).
func kernel2x4(t *[mr * nr]float32, a, b []float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	for len(a) >= 4 && len(b) >= 8 {
		aa, bb := a[:4:4], b[:8:8]
		a0, a1 := aa[0], aa[1]
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a0, a1 = aa[2], aa[3]
		b0, b1, b2, b3 = bb[4], bb[5], bb[6], bb[7]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a, b = a[4:], b[8:]
	}
	if len(a) >= 2 && len(b) >= 4 {
		aa, bb := a[:2:2], b[:4:4]
		a0, a1 := aa[0], aa[1]
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	t[0], t[1], t[2], t[3] = c00, c01, c02, c03
	t[4], t[5], t[6], t[7] = c10, c11, c12, c13
}

// packWeights arranges PyTorch-layout weights ([OutC][InC][KH][KW]) as the
// GEMM's B: ceil(OutC/nr) column panels of Depth×nr values, where row k of
// a panel is window position (ky, kx) and input channel c, k = (ky·KW +
// kx)·InC + c (the order packA walks an NHWC window in), and column j is
// output channel panel·nr + j; the last panel is zero-padded. It reads the
// weights in order, in one pass.
func packWeights(s ConvSpec, weight []float32) []float32 {
	k := s.Depth()
	panels := (s.OutC + nr - 1) / nr
	out := make([]float32, panels*k*nr)
	i := 0
	for o := range s.OutC {
		p := out[o/nr*k*nr:][:k*nr]
		j := o % nr
		for c := range s.InC {
			for ky := range s.KH {
				for kx := range s.KW {
					p[((ky*s.KW+kx)*s.InC+c)*nr+j] = weight[i]
					i++
				}
			}
		}
	}
	return out
}
