package setest

import (
	"fmt"
	"math"

	"github.com/segen/segen/se"
)

// The stochastic squeeze, z = Σx²/Σx (0 where Σx ≤ 0), is checked against
// its definition evaluated in float64, not against the generic kernel's
// float32 result: a kernel sums in another order, and the quotient
// magnifies the difference of the two Σx by the channel's condition number
// κ = Σ|x|/|Σx|, which a fixed tolerance cannot follow. So the checker
// computes, for each channel of the input, the exact Σx, Σ|x| and Σx², and
// from them the interval every float32 evaluation must land in.
//
// A float32 sum of the same values in another order may be off by e₁ =
// atol·Σ|x| + rtol·|Σx| — the tolerance of the average, where Σ|x| takes the
// place of Plane·max|x| — and Σx² by e₂ = (atol + rtol)·Σx² (its terms are
// all positive). Then, where Σx > e₁, z must lie in
//
//	[(Σx² − e₂)/(Σx + e₁), (Σx² + e₂)/(Σx − e₁)]
//
// widened by the division's rounding: an interval, not a first-order
// estimate, whose width grows with κ. Where Σx < −e₁ (or the channel is all
// zeros) every order gives Σx ≤ 0, so z must be exactly 0. Where |Σx| ≤ e₁
// the sign of the float32 Σx is a matter of rounding: z may be 0, or a
// quotient with a positive denominator of at most |Σx| + e₁, so at least
// Σx²/(|Σx| + e₁). A channel with NaN or ±Inf among its values must give
// exactly the generic kernel's result (NaN, or 0 for −Inf; see
// se.ProbabilityWeighted), which IEEE arithmetic fixes in any order.
//
// The data keeps every channel well away from Σx = 0 (stochasticMeans), so
// Forward, which feeds z through the excitation, is compared with the
// generic kernel under its usual tolerance; the ill-conditioned case is
// exercised by this package's own tests.

// span is the values a stochastic squeeze may return for one channel.
type span struct {
	exact  bool    // only the reference's own result passes (NaN or ±Inf among the inputs)
	lo, hi float64 // else got ∈ [lo, hi] ...
	zero   bool    // ... or got == 0
}

// admits reports whether got is acceptable where the generic kernel
// returned want.
func (sp span) admits(got, want float32) bool {
	if sp.exact {
		return got == want || (got != got && want != want)
	}
	g := float64(got)
	return (sp.zero && got == 0) || (sp.lo <= g && g <= sp.hi)
}

func (sp span) String() string {
	switch {
	case sp.exact:
		return " exactly"
	case sp.zero && sp.lo > sp.hi:
		return " (0 exactly)"
	case sp.zero:
		return fmt.Sprintf(" (0 or in [%.7g, %.7g])", sp.lo, sp.hi)
	}
	return fmt.Sprintf(" (in [%.7g, %.7g])", sp.lo, sp.hi)
}

// stochasticSpans returns the span of every output of a stochastic Squeeze
// of the n samples of x.
//
//go:norace
func stochasticSpans(s se.Shape, x []float32, n int) []span {
	sums := make([][3]float64, n*s.C) // Σx, Σ|x|, Σx² of each sample and channel
	finite := make([]bool, n*s.C)
	for i := range finite {
		finite[i] = true
	}
	size := s.Size()
	for i, v := range x {
		j := i/size*s.C + channel(s, i%size)
		f := float64(v)
		if !(-math.MaxFloat32 <= f && f <= math.MaxFloat32) {
			finite[j] = false
		}
		sums[j][0] += f
		sums[j][1] += abs(f)
		sums[j][2] += f * f
	}
	spans := make([]span, len(sums))
	for j, t := range sums {
		spans[j] = stochasticSpan(t[0], t[1], t[2], finite[j])
	}
	return spans
}

// stochasticSpan returns the span of a channel with the exact sums
// sum = Σx, abs = Σ|x| and squares = Σx².
func stochasticSpan(sum, abs, squares float64, finite bool) span {
	if !finite {
		return span{exact: true}
	}
	e1 := atol*abs + rtol*max(sum, -sum)
	e2 := (atol + rtol) * squares
	const div = 0x1p-23 // the division's rounding, with room to spare
	switch {
	case abs == 0 || sum < -e1:
		return span{zero: true, lo: 1, hi: 0}
	case sum <= e1:
		return span{zero: true, lo: squares / (max(sum, -sum) + e1) * (1 - div), hi: math.Inf(1)}
	}
	return span{lo: (squares - e2) / (sum + e1) * (1 - div), hi: (squares + e2) / (sum - e1) * (1 + div)}
}

// stochasticMeans turns the per-channel means addMeans adds, uniform in
// [−1, 1), into means of the same sign between ¾ and 1 in magnitude. With
// x = (u + mean)/2 and u uniform in [−1, 1), a channel still holds values
// of both signs (up to one in eight against its mean's), but Σx can come
// near 0 only if nearly all of a plane's u sit at the far end: for planes
// of a few values, where that is likeliest, the two-value sum is exact and
// beyond it the odds are below 10⁻⁵ per channel. Smaller means (¼ was
// tried) let one channel in a few hundred of a 9-value plane reach κ in the
// thousands, and its z, through the gates, moved whole samples of Forward
// past the tolerance.
//
//go:norace
func stochasticMeans(means []float32) {
	for i, m := range means {
		means[i] = float32(math.Copysign(0.75+0.25*abs(float64(m)), float64(m)))
	}
}
