package asmsim

import (
	"fmt"
	"math"
)

// The vector and opmask instructions, in Go's operand order: the Intel
// order reversed, so "VSUBPS src2, src1, dst" is dst = src1 − src2. An
// instruction's lanes are its destination register's (4, 8 or 16 float32s);
// an AVX-512 write mask and .Z act through cpu.src and cpu.set, which also
// leave a masked-off memory lane untouched.

var vectorOps = map[string]handler{
	"VMOVUPS": move, "VMOVAPS": move,
	"VADDPS": lanewise(func(x, y float32) float32 { return x + y }),
	"VSUBPS": lanewise(func(x, y float32) float32 { return x - y }),
	"VMULPS": lanewise(func(x, y float32) float32 { return x * y }),
	"VDIVPS": lanewise(func(x, y float32) float32 { return x / y }),
	// MAXPS: src1 > src2 ? src1 : src2, so a NaN in either gives src2.
	"VMAXPS": lanewise(func(x, y float32) float32 {
		if x > y {
			return x
		}
		return y
	}),
	"VMINPS": lanewise(func(x, y float32) float32 {
		if x < y {
			return x
		}
		return y
	}),
	"VXORPS": bitwise(func(x, y uint32) uint32 { return x ^ y }),
	"VORPS":  bitwise(func(x, y uint32) uint32 { return x | y }),
	"VANDPS": bitwise(func(x, y uint32) uint32 { return x & y }),
	"VPADDD": bitwise(func(x, y uint32) uint32 { return x + y }),
	// VFMADD231PS c, b, acc: acc = b·c + acc; 213: acc = b·acc + c.
	"VFMADD231PS":  fused(func(c, b, acc float32) float32 { return fma(b, c, acc) }),
	"VFNMADD231PS": fused(func(c, b, acc float32) float32 { return fma(-b, c, acc) }),
	"VFMADD213PS":  fused(func(c, b, acc float32) float32 { return fma(b, acc, c) }),
	"VPSLLD": func(c *cpu, in *instruction) error { // VPSLLD $n, src, dst
		return unary(c, in, in.args[1], func(x uint32) uint32 {
			if n := in.args[0].imm; n < 32 {
				return x << n
			}
			return 0
		})
	},
	// VCVTPS2DQ rounds to nearest even (the default MXCSR); NaN and values
	// out of range give the integer indefinite 0x80000000.
	"VCVTPS2DQ": func(c *cpu, in *instruction) error {
		return unary(c, in, in.args[0], func(x uint32) uint32 {
			r := math.RoundToEven(float64(f32(x)))
			if !(r >= -1<<31 && r < 1<<31) {
				return 0x80000000
			}
			return uint32(int32(r))
		})
	},
	"VCVTDQ2PS": func(c *cpu, in *instruction) error {
		return unary(c, in, in.args[0], func(x uint32) uint32 { return bits(float32(int32(x))) })
	},
	"VMOVSHDUP": func(c *cpu, in *instruction) error { // each odd lane twice
		return permute(c, in, in.args[0], func(i int) int { return i | 1 })
	},
	"VPERMILPS": func(c *cpu, in *instruction) error { // VPERMILPS $imm, src, dst, in each 128-bit block
		imm := int(in.args[0].imm)
		return permute(c, in, in.args[1], func(i int) int { return i&^3 + imm>>(2*(i&3))&3 })
	},
	"VPERMPS": func(c *cpu, in *instruction) error { // VPERMPS src, idx, dst: dst[i] = src[idx[i]]
		d := in.args[2]
		idx := c.vec[in.args[1].reg]
		return permute(c, in, in.args[0], func(i int) int { return int(idx[i]) % d.lanes })
	},
	// VSHUFPS $imm, s2, s1, dst: in each 128-bit block, two lanes of s1
	// then two of s2, as imm selects.
	"VSHUFPS": func(c *cpu, in *instruction) error {
		imm := int(in.args[0].imm)
		return pair(c, in, in.args[1], in.args[2], in.args[3], func(i int) (bool, int) {
			return i&3 >= 2, i&^3 + imm>>(2*(i&3))&3
		})
	},
	// VUNPCKLPS s2, s1, dst: in each 128-bit block s1[0], s2[0], s1[1],
	// s2[1]; VUNPCKHPS the same of lanes 2 and 3.
	"VUNPCKLPS": func(c *cpu, in *instruction) error {
		return pair(c, in, in.args[0], in.args[1], in.args[2], func(i int) (bool, int) { return i&1 != 0, i&^3 + i&3>>1 })
	},
	"VUNPCKHPS": func(c *cpu, in *instruction) error {
		return pair(c, in, in.args[0], in.args[1], in.args[2], func(i int) (bool, int) { return i&1 != 0, i&^3 + 2 + i&3>>1 })
	},
	// VMOVHLPS s2, s1, dst: s2[2], s2[3], s1[2], s1[3]; VMOVLHPS s2, s1,
	// dst: s1[0], s1[1], s2[0], s2[1].
	"VMOVHLPS": func(c *cpu, in *instruction) error {
		return pair(c, in, in.args[0], in.args[1], in.args[2], func(i int) (bool, int) { return i < 2, 2 + i&1 })
	},
	"VMOVLHPS": func(c *cpu, in *instruction) error {
		return pair(c, in, in.args[0], in.args[1], in.args[2], func(i int) (bool, int) { return i >= 2, i & 1 })
	},
	// VPERM2F128 $imm, s2, s1, dst: each 128-bit half of dst is s1.lo,
	// s1.hi, s2.lo or s2.hi (imm bits 1:0 and 5:4), or zero (bits 3 and 7).
	"VPERM2F128": func(c *cpu, in *instruction) error {
		imm := int(in.args[0].imm)
		s2, err := c.lanes(in.args[1], 8, lanesOf(8))
		if err != nil {
			return err
		}
		s1 := c.vec[in.args[2].reg]
		var out [16]uint32
		for h := range 2 {
			sel := imm >> (4 * h)
			if sel&8 != 0 {
				continue
			}
			src := s1
			if sel&2 != 0 {
				src = s2
			}
			copy(out[4*h:4*h+4], src[4*(sel&1):])
		}
		return c.set(in, in.args[3], out, 8)
	},
	// VSHUFF32X4 $imm, s2, s1, dst: the 128-bit blocks of the low half of
	// dst from s1, of the high half from s2, each as imm selects (two bits
	// a block of a zmm, one of a ymm).
	"VSHUFF32X4": func(c *cpu, in *instruction) error {
		imm, d := int(in.args[0].imm), in.args[3]
		blocks := d.lanes / 4
		if blocks < 2 {
			return fmt.Errorf("VSHUFF32X4 of a xmm")
		}
		width := blocks / 2 // bits of a selector
		return pair(c, in, in.args[1], in.args[2], d, func(i int) (bool, int) {
			j := i / 4
			return j >= blocks/2, 4*(imm>>(width*j)&(blocks-1)) + i&3
		})
	},
	// VHADDPS s2, s1, dst: in each 128-bit block the neighbour sums of s1,
	// then those of s2.
	"VHADDPS": func(c *cpu, in *instruction) error {
		d := in.args[2]
		s2, err := c.lanes(in.args[0], d.lanes, lanesOf(d.lanes))
		if err != nil {
			return err
		}
		s1 := c.vec[in.args[1].reg]
		var out [16]uint32
		for i := range d.lanes {
			src := s1
			if i&3 >= 2 {
				src = s2
			}
			j := i&^3 + 2*(i&1)
			out[i] = bits(f32(src[j]) + f32(src[j+1]))
		}
		return c.set(in, d, out, d.lanes)
	},
	// VEXTRACTF128/F32X4 $imm, src, dst: the imm-th 128-bit block of src;
	// VEXTRACTF64X4 the imm-th 256-bit half.
	"VEXTRACTF128":    extract(4),
	"VEXTRACTF32X4":   extract(4),
	"VEXTRACTF64X4":   extract(8),
	"VBROADCASTSS":    broadcast(1),
	"VBROADCASTSD":    broadcast(2),
	"VBROADCASTF128":  broadcast(4),
	"VBROADCASTF32X4": broadcast(4),
	// VMASKMOVPS mem, mask, dst loads the lanes whose mask word has its
	// sign bit set and zeroes the others; VMASKMOVPS src, mask, mem stores
	// those lanes. The other lanes' memory is not accessed (no fault).
	"VMASKMOVPS": func(c *cpu, in *instruction) error {
		a := in.args
		src, dst := a[0], a[2]
		n := a[1].lanes
		mask := c.vec[a[1].reg]
		var on uint16
		for i := range n {
			if int32(mask[i]) < 0 {
				on |= 1 << i
			}
		}
		v, err := c.lanes(src, n, on)
		if err != nil {
			return err
		}
		return c.setLanes(dst, v, n, on, true)
	},
	// VMOVSS and MOVSS store lane 0, or load it and zero lanes 1…3 (MOVSS
	// keeps the upper 128 bits, but segen writes no legacy SSE to a
	// register).
	"VMOVSS": movss, "MOVSS": movss,
	// VDIVSS s2, s1, dst: s1 with lane 0 divided by s2's.
	"VDIVSS": func(c *cpu, in *instruction) error {
		s2, err := c.lanes(in.args[0], 1, 1)
		if err != nil {
			return err
		}
		out := c.vec[in.args[1].reg]
		out[0] = bits(f32(out[0]) / f32(s2[0]))
		return c.setLanes(in.args[2], out, 4, lanesOf(4), false)
	},
	// VCVTSI2SSQ r, s1, dst: s1 with lane 0 the 64-bit integer r, rounded.
	"VCVTSI2SSQ": func(c *cpu, in *instruction) error {
		x, err := c.q(in.args[0])
		if err != nil {
			return err
		}
		out := c.vec[in.args[1].reg]
		out[0] = bits(float32(int64(x)))
		return c.setLanes(in.args[2], out, 4, lanesOf(4), false)
	},
	// VCMPPS $pred, s2, s1, dst: pred(s1, s2) per lane, into an opmask or
	// as all-ones lanes.
	"VCMPPS": func(c *cpu, in *instruction) error {
		pred, d := int(in.args[0].imm), in.args[3]
		n := d.lanes
		if d.kind == opmask {
			n = in.args[2].lanes
		}
		on := c.active(in, n)
		s2, err := c.lanes(in.args[1], n, on)
		if err != nil {
			return err
		}
		s1 := c.vec[in.args[2].reg]
		var out [16]uint32
		var k uint16
		for i := range n {
			if on>>i&1 != 0 && compare(pred, f32(s1[i]), f32(s2[i])) {
				out[i], k = 0xffffffff, k|1<<i
			}
		}
		if d.kind == opmask {
			c.k[d.reg] = k
			return nil
		}
		return c.set(in, d, out, n)
	},
	// VBLENDVPS mask, s2, s1, dst: s2 where the mask's sign bit is set,
	// else s1.
	"VBLENDVPS": func(c *cpu, in *instruction) error {
		d := in.args[3]
		mask := c.vec[in.args[0].reg]
		s2, err := c.lanes(in.args[1], d.lanes, lanesOf(d.lanes))
		if err != nil {
			return err
		}
		out := c.vec[in.args[2].reg]
		for i := range d.lanes {
			if int32(mask[i]) < 0 {
				out[i] = s2[i]
			}
		}
		return c.set(in, d, out, d.lanes)
	},
	// KMOVW moves the low 16 bits between opmasks, general registers
	// (zero-extended) and memory.
	"KMOVW": func(c *cpu, in *instruction) error {
		var v uint16
		switch s := in.args[0]; s.kind {
		case opmask:
			v = c.k[s.reg]
		case gpr:
			v = uint16(c.gp[s.reg])
		case memory:
			w, err := c.mem(s, 1)
			if err != nil {
				return err
			}
			v = uint16(w[0])
		default:
			return fmt.Errorf("KMOVW from this operand")
		}
		switch d := in.args[1]; d.kind {
		case opmask:
			c.k[d.reg] = v
		case gpr:
			c.gp[d.reg] = uint64(v)
		default:
			return fmt.Errorf("KMOVW to this operand")
		}
		return nil
	},
	// VZEROUPPER zeroes the bits above 128 of the vector registers 0…15.
	"VZEROUPPER": func(c *cpu, in *instruction) error {
		for r := range 16 {
			clear(c.vec[r][4:])
		}
		return nil
	},
}

func f32(u uint32) float32  { return math.Float32frombits(u) }
func bits(f float32) uint32 { return math.Float32bits(f) }

// fma returns x·y + z rounded once to float64, then to float32.
func fma(x, y, z float32) float32 { return float32(math.FMA(float64(x), float64(y), float64(z))) }

// compare is VCMPPS's predicate pred (its low five bits; the signalling
// bit 4 changes only exceptions): the ordered result of the relation of
// bits 2:0, and for unordered operands the result of bits 2:0 flipped by
// bit 3.
func compare(pred int, x, y float32) bool {
	if x != x || y != y {
		return (pred&7 >= 3 && pred&7 <= 6) != (pred&8 != 0)
	}
	switch pred & 7 {
	case 0:
		return x == y
	case 1:
		return x < y
	case 2:
		return x <= y
	case 3: // UNORD, FALSE
		return false
	case 4:
		return x != y
	case 5:
		return !(x < y)
	case 6:
		return !(x <= y)
	}
	return true // ORD, TRUE
}

// move is VMOVUPS and VMOVAPS: a load, a store or a register copy.
func move(c *cpu, in *instruction) error {
	s, d := in.args[0], in.args[1]
	n := d.lanes
	if d.kind == memory {
		n = s.lanes
	}
	v, err := c.src(in, s, n)
	if err != nil {
		return err
	}
	return c.set(in, d, v, n)
}

// lanewise is a float operation "op src2, src1, dst": dst = fn(src1, src2).
func lanewise(fn func(x, y float32) float32) handler {
	return bitwise(func(x, y uint32) uint32 { return bits(fn(f32(x), f32(y))) })
}

// bitwise is an integer operation "op src2, src1, dst": dst = fn(src1, src2).
func bitwise(fn func(x, y uint32) uint32) handler {
	return func(c *cpu, in *instruction) error {
		d := in.args[2]
		s2, err := c.src(in, in.args[0], d.lanes)
		if err != nil {
			return err
		}
		s1 := c.vec[in.args[1].reg]
		var out [16]uint32
		for i := range d.lanes {
			out[i] = fn(s1[i], s2[i])
		}
		return c.set(in, d, out, d.lanes)
	}
}

// fused is a fused multiply-add "op src3, src2, dst": dst = fn(src3, src2, dst).
func fused(fn func(c, b, acc float32) float32) handler {
	return func(c *cpu, in *instruction) error {
		d := in.args[2]
		s3, err := c.src(in, in.args[0], d.lanes)
		if err != nil {
			return err
		}
		s2, acc := c.vec[in.args[1].reg], c.vec[d.reg]
		var out [16]uint32
		for i := range d.lanes {
			out[i] = bits(fn(f32(s3[i]), f32(s2[i]), f32(acc[i])))
		}
		return c.set(in, d, out, d.lanes)
	}
}

// unary is "op src, dst" (after any immediate): dst = fn(src) per lane.
func unary(c *cpu, in *instruction, src operand, fn func(uint32) uint32) error {
	d := in.args[len(in.args)-1]
	s, err := c.src(in, src, d.lanes)
	if err != nil {
		return err
	}
	var out [16]uint32
	for i := range d.lanes {
		out[i] = fn(s[i])
	}
	return c.set(in, d, out, d.lanes)
}

// permute sets dst[i] = src[from(i)].
func permute(c *cpu, in *instruction, src operand, from func(i int) int) error {
	d := in.args[len(in.args)-1]
	s, err := c.lanes(src, d.lanes, lanesOf(d.lanes))
	if err != nil {
		return err
	}
	var out [16]uint32
	for i := range d.lanes {
		out[i] = s[from(i)]
	}
	return c.set(in, d, out, d.lanes)
}

// pair sets dst[i] = s1[j] or s2[j] as from(i) says (second: s2).
func pair(c *cpu, in *instruction, src2, src1, d operand, from func(i int) (second bool, j int)) error {
	s2, err := c.lanes(src2, d.lanes, lanesOf(d.lanes))
	if err != nil {
		return err
	}
	s1 := c.vec[src1.reg]
	var out [16]uint32
	for i := range d.lanes {
		second, j := from(i)
		if second {
			out[i] = s2[j]
		} else {
			out[i] = s1[j]
		}
	}
	return c.set(in, d, out, d.lanes)
}

// extract is "op $imm, src, dst": dst = block imm of n lanes of src.
func extract(n int) handler {
	return func(c *cpu, in *instruction) error {
		s := c.vec[in.args[1].reg]
		blocks := in.args[1].lanes / n
		var out [16]uint32
		copy(out[:n], s[n*(int(in.args[0].imm)&(blocks-1)):])
		return c.set(in, in.args[2], out, n)
	}
}

// broadcast copies the first n words of its source, memory or a
// register, to every n lanes of the destination.
func broadcast(n int) handler {
	return func(c *cpu, in *instruction) error {
		d := in.args[1]
		s, err := c.lanes(in.args[0], n, lanesOf(n))
		if err != nil {
			return err
		}
		var out [16]uint32
		for i := range d.lanes {
			out[i] = s[i%n]
		}
		return c.set(in, d, out, d.lanes)
	}
}

// movss is a scalar move of lane 0.
func movss(c *cpu, in *instruction) error {
	s, d := in.args[0], in.args[1]
	if s.kind == vector && d.kind == vector {
		return fmt.Errorf("register-to-register %s is not interpreted", in.op)
	}
	v, err := c.lanes(s, 1, 1)
	if err != nil {
		return err
	}
	if d.kind == memory {
		return c.setLanes(d, v, 1, 1, false)
	}
	return c.setLanes(d, v, 4, lanesOf(4), false)
}
