package asm

import (
	"fmt"
	"testing"
)

// gconvShapes are the (input, output) channels a group of every grouped
// convolution runtime/resnet runs: ResNeXt's 32×4d, 32×8d and 64×4d, and
// SENet-154's, whose groups have twice as many outputs as inputs.
var gconvShapes = [][2]int{{4, 4}, {8, 8}, {16, 16}, {32, 32}, {64, 64}, {2, 4}, {4, 8}, {8, 16}, {16, 32}}

// TestGConvFold runs the phase fold of every tile with phases on labels:
// lane j·P + p of vector v holds the partial sum (vector v, channel j,
// phase p); after the VHADDPS rounds (or their AVX-512 stand-in, which
// computes the same lanes) and the permutation, output lane q of each
// folded vector must hold all phases of vector q/per's channel q%per.
func TestGConvFold(t *testing.T) {
	for _, isa := range []ISA{AVX2, AVX512} {
		for _, sh := range gconvShapes {
			tile, err := GConvTileFor(isa, sh[0], sh[1])
			if err != nil || tile.Phases == 1 {
				continue
			}
			P, L := tile.Phases, isa.Lanes
			per := L / P
			// A lane is the set of (group, channel) partial sums it adds,
			// counted by phase.
			type lane map[[2]int]int
			vs := make([][]lane, P)
			for v := range vs {
				vs[v] = make([]lane, L)
				for l := range vs[v] {
					vs[v][l] = lane{{v, l / P}: 1}
				}
			}
			hadd := func(a, b []lane) []lane {
				out := make([]lane, L)
				for q := 0; q < L; q += 4 {
					for k, src := range [][]lane{a, a, b, b} {
						i := q + 2*(k%2)
						sum := lane{}
						for _, x := range []lane{src[i], src[i+1]} {
							for key, n := range x {
								sum[key] += n
							}
						}
						out[q+k] = sum
					}
				}
				return out
			}
			for len(vs) > 1 {
				var half [][]lane
				for k := 0; k < len(vs); k += 2 {
					half = append(half, hadd(vs[k], vs[k+1]))
				}
				vs = half
			}
			perm := tile.GConvPermutation(isa)
			for q := range L {
				got := vs[0][perm[q]]
				want := [2]int{q / per, q % per}
				if len(got) != 1 || got[want] != P {
					t.Errorf("%s %v: output lane %d holds %v, want all %d phases of %v", isa.String(), sh, q, got, P, want)
				}
			}
		}
	}
}

// TestGConvRender emits the kernel of every group shape for both ISAs.
func TestGConvRender(t *testing.T) {
	f := NewFile("k")
	n := 0
	for _, isa := range []ISA{AVX2, AVX512} {
		for _, sh := range gconvShapes {
			tile, err := GConvTileFor(isa, sh[0], sh[1])
			if err != nil {
				t.Logf("%s %v: %v", isa.String(), sh, err)
				continue
			}
			f.GConv(fmt.Sprintf("gconv%dto%d%s", sh[0], sh[1], isa.Suffix()), isa, tile)
			n++
		}
	}
	if n < 2*len(gconvShapes)-1 {
		t.Errorf("only %d of %d kernels have a tile", n, 2*len(gconvShapes))
	}
	if _, _, err := f.Render(); err != nil {
		t.Fatal(err)
	}
}

// TestGConvDiagonal runs the lane algebra of a diagonal tile on labels: x₂
// (gconvTurn2) must hold input channel j+2 in lane j, the four weight
// vectors of GConvDiagonal must join every output and input channel of a
// group exactly once per lane, the FMA of vector k reading x or x₂ as
// GConvDiagonal says, and gconvTurnBack must bring lane j+1 of the second
// accumulator to lane j, so each lane of the result sums its own output
// channel.
func TestGConvDiagonal(t *testing.T) {
	permil := func(imm int, v [4]int) (out [4]int) {
		for j := range out {
			out[j] = v[imm>>(2*j)&3]
		}
		return out
	}
	x := [4]int{0, 1, 2, 3} // lane j of x holds input channel j
	x2 := permil(gconvTurn2, x)
	// acc[a][j] lists the (output, input) pairs lane j of accumulator a sums.
	var acc [2][4][][2]int
	seen := map[[3]int]bool{}
	for k := range 4 {
		in := x
		if k >= 2 {
			in = x2
		}
		for j := range 4 {
			o, c := GConvDiagonal(k, j)
			if in[j] != c {
				t.Fatalf("vector %d lane %d: the FMA reads input channel %d, the weight is for %d", k, j, in[j], c)
			}
			if seen[[3]int{j, o, c}] {
				t.Fatalf("lane %d: channels %d ← %d twice", j, o, c)
			}
			seen[[3]int{j, o, c}] = true
			acc[k%2][j] = append(acc[k%2][j], [2]int{o, c})
		}
	}
	if len(seen) != 4*4 {
		t.Fatalf("%d of the 16 (output, input) pairs of each lane", len(seen)/4)
	}
	var lanes [4]int
	for j := range lanes {
		lanes[j] = j
	}
	back := permil(gconvTurnBack, lanes) // lane j of the turned accumulator is lane back[j] of acc[1]
	for j := range 4 {
		sum := append(append([][2]int(nil), acc[0][j]...), acc[1][back[j]]...)
		ins := map[int]bool{}
		for _, p := range sum {
			if p[0] != j {
				t.Errorf("output lane %d adds a partial sum of channel %d", j, p[0])
			}
			ins[p[1]] = true
		}
		if len(sum) != 4 || len(ins) != 4 {
			t.Errorf("output lane %d sums %v, want each input channel once", j, sum)
		}
	}
}
