// Package winograd holds the transforms of Winograd's minimal filtering
// algorithm for 3×3 convolutions: the one description that the assembly
// emitters (package asm) and the convolution engine (runtime/nn) share.
//
// F(m×m, 3×3) computes an m×m tile of a stride-1 3×3 convolution from a
// t×t tile of input, t = m+2, with t² products instead of 9m²:
//
//	Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
//
// Summed over input channels, the t² element-wise products become t²
// independent matrix products of [tiles × InC] · [InC × OutC], which is
// where the work goes; the transforms are additions and a few constant
// multiples per value.
package winograd

// Transform is F(M×M, 3×3).
type Transform struct {
	M  int         // output tile side
	BT [][]float64 // T×T: the input transform, V = Bᵀ d B
	G  [][]float64 // T×3: the weight transform, U = G g Gᵀ
	AT [][]float64 // M×T: the output transform, Y = Aᵀ m A
}

// T returns the input tile side, M + 2.
func (f *Transform) T() int { return f.M + 2 }

// F4x3 is F(4×4, 3×3) with the interpolation points 0, ±1, ±2 and ∞
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"): 36
// products for 16 outputs, 4× fewer than the 144 of the direct
// convolution. Its constants (up to 8 in Aᵀ, 1/24 in G) lose a few bits
// against the direct sum, about 1e-6 relative on ResNet activations.
var F4x3 = &Transform{
	M: 4,
	BT: [][]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	},
	G: [][]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	},
	AT: [][]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	},
}

// F2x3 is F(2×2, 3×3): 16 products for 4 outputs (2.25× fewer), with
// constants of ±1 and ½ only, so it is as accurate as the direct sum.
var F2x3 = &Transform{
	M: 2,
	BT: [][]float64{
		{1, 0, -1, 0},
		{0, 1, 1, 0},
		{0, -1, 1, 0},
		{0, 1, 0, -1},
	},
	G: [][]float64{
		{1, 0, 0},
		{0.5, 0.5, 0.5},
		{0.5, -0.5, 0.5},
		{0, 0, 1},
	},
	AT: [][]float64{
		{1, 1, 1, 0},
		{0, 1, -1, -1},
	},
}

// Weights sets u (T×T values, row-major) to U = G g Gᵀ for one 3×3 kernel
// g (row-major), in float64.
func (f *Transform) Weights(u []float64, g [9]float64) {
	t := f.T()
	u = u[:t*t]
	clear(u)
	var tmp [8][3]float64 // G g: T×3
	for i := range t {
		for j := range 3 {
			for k := range 3 {
				tmp[i][j] += f.G[i][k] * g[k*3+j]
			}
		}
	}
	for i := range t {
		for j := range t {
			for k := range 3 {
				u[i*t+j] += tmp[i][k] * f.G[j][k]
			}
		}
	}
}
