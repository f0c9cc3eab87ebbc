package asmsim

import "fmt"

// cpu is one call's state.
type cpu struct {
	gp  [16]uint64
	vec [32][16]uint32
	k   [8]uint16
	// The arithmetic flags of the last instruction that set them.
	cf, zf, sf, of bool
	pc             int
	done           bool
	regions        []*Region
	fp, sp         uint64
	static         map[string]uint64
}

// add gives r an address (nil gets 0).
func (c *cpu) add(r *Region) uint64 {
	if r == nil {
		return 0
	}
	r.base = uint64(len(c.regions)) << regionBits
	c.regions = append(c.regions, r)
	return r.base
}

// address returns the address a memory operand refers to.
func (c *cpu) address(o operand) (uint64, error) {
	var a uint64
	switch o.sym {
	case "":
		a = c.gp[o.base]
	case "FP":
		a = c.fp
	case "SP":
		a = c.sp
	default:
		b, ok := c.static[o.sym]
		if !ok {
			return 0, fmt.Errorf("no data symbol %s", o.sym)
		}
		a = b
	}
	if o.index >= 0 {
		a += c.gp[o.index] * uint64(o.scale)
	}
	return a + uint64(o.disp), nil
}

// words returns the n words at address a, which must lie in one region.
func (c *cpu) words(a uint64, n int) ([]uint32, error) {
	k := a >> regionBits
	off := a & (1<<regionBits - 1)
	if k == 0 || k >= uint64(len(c.regions)) || off%4 != 0 {
		return nil, fmt.Errorf("access to %#x, outside every region", a)
	}
	r := c.regions[k]
	if off/4+uint64(n) > uint64(len(r.Words)) {
		return nil, fmt.Errorf("access to words %d…%d of a region of %d", off/4, off/4+uint64(n)-1, len(r.Words))
	}
	return r.Words[off/4:][:n], nil
}

// mem returns the n words a memory operand refers to.
func (c *cpu) mem(o operand, n int) ([]uint32, error) {
	a, err := c.address(o)
	if err != nil {
		return nil, err
	}
	return c.words(a, n)
}

// lanesOf returns a mask of the first n lanes.
func lanesOf(n int) uint16 { return uint16(1<<n - 1) }

// active returns the lanes of n an instruction writes: all, or those its
// write mask sets.
func (c *cpu) active(in *instruction, n int) uint16 {
	if in.mask == 0 {
		return lanesOf(n)
	}
	return c.k[in.mask] & lanesOf(n)
}

// lanes returns the first n lanes of vector operand o, a register or
// memory. Of memory only the lanes in on are read (the others are zero):
// a masked-off lane is not accessed and cannot fault.
func (c *cpu) lanes(o operand, n int, on uint16) (v [16]uint32, err error) {
	switch o.kind {
	case vector:
		copy(v[:n], c.vec[o.reg][:n])
		return v, nil
	case memory:
		if on == lanesOf(n) {
			w, err := c.mem(o, n)
			copy(v[:], w)
			return v, err
		}
		a, err := c.address(o)
		if err != nil {
			return v, err
		}
		for i := range n {
			if on>>i&1 != 0 {
				w, err := c.words(a+4*uint64(i), 1)
				if err != nil {
					return v, err
				}
				v[i] = w[0]
			}
		}
		return v, nil
	}
	return v, fmt.Errorf("operand is not a vector")
}

// src returns the first n lanes of vector operand o for instruction in,
// reading from memory only the lanes in writes.
func (c *cpu) src(in *instruction, o operand, n int) ([16]uint32, error) {
	return c.lanes(o, n, c.active(in, n))
}

// set writes the first n lanes of v to vector operand o through the
// write mask of in. To a register: a masked-off lane keeps its value, or
// becomes zero with .Z, and the lanes above n are zeroed (as every VEX
// and EVEX instruction does). To memory: only the lanes written are
// accessed.
func (c *cpu) set(in *instruction, o operand, v [16]uint32, n int) error {
	return c.setLanes(o, v, n, c.active(in, n), in.zeroing)
}

func (c *cpu) setLanes(o operand, v [16]uint32, n int, on uint16, zeroing bool) error {
	switch o.kind {
	case vector:
		r := &c.vec[o.reg]
		for i := range 16 {
			switch {
			case i >= n || (on>>i&1 == 0 && zeroing):
				r[i] = 0
			case on>>i&1 != 0:
				r[i] = v[i]
			}
		}
		return nil
	case memory:
		a, err := c.address(o)
		if err != nil {
			return err
		}
		if on == lanesOf(n) {
			w, err := c.words(a, n)
			copy(w, v[:n])
			return err
		}
		for i := range n {
			if on>>i&1 != 0 {
				w, err := c.words(a+4*uint64(i), 1)
				if err != nil {
					return err
				}
				w[0] = v[i]
			}
		}
		return nil
	}
	return fmt.Errorf("cannot write a vector to this operand")
}
