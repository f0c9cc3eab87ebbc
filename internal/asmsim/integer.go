package asmsim

import "fmt"

// The general-register instructions, the branches and the prefetch. Go's
// operand order: sources first, the destination last; CMPQ x, y sets the
// flags of x − y.

var integerOps = map[string]handler{
	"MOVQ": func(c *cpu, in *instruction) error {
		v, err := c.q(in.args[0])
		if err != nil {
			return err
		}
		return c.setq(in.args[1], v)
	},
	"MOVL": func(c *cpu, in *instruction) error { // a 32-bit register write zeroes the upper half
		v, err := c.q(in.args[0])
		if err != nil {
			return err
		}
		return c.setq(in.args[1], uint64(uint32(v)))
	},
	"LEAQ": func(c *cpu, in *instruction) error {
		a, err := c.address(in.args[0])
		if err != nil {
			return err
		}
		return c.setq(in.args[1], a)
	},
	"ADDQ": arith(func(c *cpu, x, y uint64) uint64 { // y += x
		r := y + x
		c.logic(r)
		c.cf, c.of = r < y, int64(x^r)&int64(y^r) < 0
		return r
	}),
	"SUBQ": arith(func(c *cpu, x, y uint64) uint64 { return c.sub(y, x) }),
	"XORQ": arith(func(c *cpu, x, y uint64) uint64 { return c.logic(y ^ x) }),
	"ANDQ": arith(func(c *cpu, x, y uint64) uint64 { return c.logic(y & x) }),
	"SHLQ": shift(func(y uint64, n uint) (uint64, bool) { return y << n, y>>(64-n)&1 != 0 }),
	"SHRQ": shift(func(y uint64, n uint) (uint64, bool) { return y >> n, y>>(n-1)&1 != 0 }),
	"SARQ": shift(func(y uint64, n uint) (uint64, bool) { return uint64(int64(y) >> n), y>>(n-1)&1 != 0 }),
	"IMUL3Q": func(c *cpu, in *instruction) error { // IMUL3Q $imm, src, dst: dst = src·imm
		x, err := c.q(in.args[1])
		if err != nil {
			return err
		}
		imm := in.args[0].imm
		r := int64(x) * imm
		c.cf = imm != 0 && (r/imm != int64(x) || (imm == -1 && int64(x) == -1<<63))
		c.of = c.cf
		return c.setq(in.args[2], uint64(r))
	},
	"DECQ": func(c *cpu, in *instruction) error { // the carry is kept
		w, err := c.q(in.args[0])
		if err != nil {
			return err
		}
		cf := c.cf
		r := c.sub(w, 1)
		c.cf = cf
		return c.setq(in.args[0], r)
	},
	"CMPQ": func(c *cpu, in *instruction) error {
		x, err := c.q(in.args[0])
		if err != nil {
			return err
		}
		y, err := c.q(in.args[1])
		if err == nil {
			c.sub(x, y)
		}
		return err
	},
	"TESTQ": func(c *cpu, in *instruction) error {
		x, err := c.q(in.args[0])
		if err != nil {
			return err
		}
		y, err := c.q(in.args[1])
		if err == nil {
			c.logic(x & y)
		}
		return err
	},
	// BZHIL idx, src, dst: dst = src with the bits from idx[7:0] up
	// cleared (none when idx ≥ 32), zero-extended.
	"BZHIL": func(c *cpu, in *instruction) error {
		idx, err := c.q(in.args[0])
		if err != nil {
			return err
		}
		src, err := c.q(in.args[1])
		if err != nil {
			return err
		}
		r, n := uint32(src), uint8(idx)
		if n < 32 {
			r &= 1<<n - 1
		}
		c.logic(uint64(r))
		c.sf, c.cf = int32(r) < 0, n > 31
		return c.setq(in.args[2], uint64(r))
	},
	// PREFETCHT0 never faults on the hardware; here its address must lie
	// in a region, so a kernel's prefetches provably stay inside the
	// slices it was handed.
	"PREFETCHT0": func(c *cpu, in *instruction) error {
		_, err := c.mem(in.args[0], 1)
		if err != nil {
			return fmt.Errorf("prefetch: %v", err)
		}
		return nil
	},
	"RET": func(c *cpu, in *instruction) error { c.done = true; return nil },
	"JMP": jump(func(c *cpu) bool { return true }),
	"JZ":  jump(func(c *cpu) bool { return c.zf }),
	"JE":  jump(func(c *cpu) bool { return c.zf }),
	"JNZ": jump(func(c *cpu) bool { return !c.zf }),
	"JNE": jump(func(c *cpu) bool { return !c.zf }),
	"JL":  jump(func(c *cpu) bool { return c.sf != c.of }),
	"JGE": jump(func(c *cpu) bool { return c.sf == c.of }),
	"JLE": jump(func(c *cpu) bool { return c.zf || c.sf != c.of }),
	"JG":  jump(func(c *cpu) bool { return !c.zf && c.sf == c.of }),
	"JB":  jump(func(c *cpu) bool { return c.cf }), // unsigned: below, above or equal, …
	"JAE": jump(func(c *cpu) bool { return !c.cf }),
	"JBE": jump(func(c *cpu) bool { return c.cf || c.zf }),
	"JA":  jump(func(c *cpu) bool { return !c.cf && !c.zf }),
}

// q reads a 64-bit operand.
func (c *cpu) q(o operand) (uint64, error) {
	switch o.kind {
	case immediate:
		return uint64(o.imm), nil
	case gpr:
		return c.gp[o.reg], nil
	case memory:
		w, err := c.mem(o, 2)
		if err != nil {
			return 0, err
		}
		return uint64(w[0]) | uint64(w[1])<<32, nil
	}
	return 0, fmt.Errorf("operand is not 64-bit")
}

// setq writes a 64-bit destination.
func (c *cpu) setq(o operand, v uint64) error {
	switch o.kind {
	case gpr:
		c.gp[o.reg] = v
		return nil
	case memory:
		w, err := c.mem(o, 2)
		if err != nil {
			return err
		}
		w[0], w[1] = uint32(v), uint32(v>>32)
		return nil
	}
	return fmt.Errorf("cannot write this operand")
}

// logic sets the flags of a logical result r and returns it.
func (c *cpu) logic(r uint64) uint64 {
	c.zf, c.sf, c.cf, c.of = r == 0, int64(r) < 0, false, false
	return r
}

// sub sets the flags of x − y and returns it.
func (c *cpu) sub(x, y uint64) uint64 {
	r := x - y
	c.logic(r)
	c.cf, c.of = x < y, int64(x^y)&int64(x^r) < 0
	return r
}

// arith is a two-operand instruction: dst = fn(src, dst).
func arith(fn func(c *cpu, x, y uint64) uint64) handler {
	return func(c *cpu, in *instruction) error {
		x, err := c.q(in.args[0])
		if err != nil {
			return err
		}
		y, err := c.q(in.args[1])
		if err != nil {
			return err
		}
		return c.setq(in.args[1], fn(c, x, y))
	}
}

// shift is a shift by an immediate count: fn returns the result and the
// last bit shifted out; a zero count leaves the flags alone.
func shift(fn func(y uint64, n uint) (uint64, bool)) handler {
	return func(c *cpu, in *instruction) error {
		if in.args[0].kind != immediate {
			return fmt.Errorf("shift count not an immediate")
		}
		y, err := c.q(in.args[1])
		if err != nil {
			return err
		}
		n := uint(in.args[0].imm & 63)
		if n == 0 {
			return nil
		}
		r, cf := fn(y, n)
		c.logic(r)
		c.cf = cf
		return c.setq(in.args[1], r)
	}
}

// jump is a branch taken when cond holds.
func jump(cond func(c *cpu) bool) handler {
	return func(c *cpu, in *instruction) error {
		if cond(c) {
			c.pc = in.target
		}
		return nil
	}
}
