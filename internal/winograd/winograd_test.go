package winograd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTransforms checks each transform against the direct 3×3 correlation
// it stands for, on random tiles, in float64: Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A = d ⋆ g.
func TestTransforms(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, f := range []*Transform{F2x3, F4x3} {
		n, m := f.T(), f.M
		for range 20 {
			var g [9]float64
			for i := range g {
				g[i] = r.NormFloat64()
			}
			d := make([]float64, n*n)
			for i := range d {
				d[i] = r.NormFloat64()
			}
			u := make([]float64, n*n)
			f.Weights(u, g)
			// v = Bᵀ d B, then the product, then Aᵀ · A.
			v := make([]float64, n*n)
			for i := range n {
				for j := range n {
					for a := range n {
						for b := range n {
							v[i*n+j] += f.BT[i][a] * d[a*n+b] * f.BT[j][b]
						}
					}
				}
			}
			for i := range v {
				v[i] *= u[i]
			}
			for p := range m {
				for q := range m {
					var y, want float64
					for a := range n {
						for b := range n {
							y += f.AT[p][a] * v[a*n+b] * f.AT[q][b]
						}
					}
					for ky := range 3 {
						for kx := range 3 {
							want += d[(p+ky)*n+q+kx] * g[ky*3+kx]
						}
					}
					if math.Abs(y-want) > 1e-9*(1+math.Abs(want)) {
						t.Fatalf("F(%d×%d, 3×3): y[%d][%d] = %v, want %v", m, m, p, q, y, want)
					}
				}
			}
		}
	}
}
