// Package asmsim runs Go amd64 assembly as segen emits it, one instruction
// at a time, on an interpreter of the subset its kernels use (the grouped
// convolutions, GEMM, Winograd transforms, pooling and SE kernels): tests
// run the AVX-512 kernels on machines without AVX-512 (and the AVX2 ones
// beside the hardware, which checks the interpreter), and every memory
// access must fall inside one of the slices the kernel was handed, as
// large as its contract says.
//
// Values live in 32-bit words: the registers (sixteen general ones, 32
// vectors of up to sixteen lanes, eight opmasks), the frame (arguments,
// results and locals), the file's DATA symbols and the caller's slices,
// each a region of its own at an address of its own. A masked-off lane of
// an AVX-512 or VMASKMOVPS access touches no memory, so it cannot fault,
// as on the hardware. Prefetches are checked like loads: the address
// prefetched must lie in a region. Floating-point arithmetic is float32,
// fused multiply-adds rounded once to float64 then to float32 (a last-bit
// difference from the hardware in rare cases).
//
// The files: parse.go reads the assembly, cpu.go holds a call's state and
// its memory, integer.go the general-register instructions and branches,
// vector.go the vector and opmask instructions.
package asmsim

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// Program is a parsed assembly file: its functions and its data.
type Program struct {
	funcs map[string]*function
	data  map[string][]uint32
}

// Region is memory a kernel is handed, in 32-bit words.
type Region struct {
	Words []uint32
	base  uint64
}

// Floats returns a region holding v.
func Floats(v []float32) *Region {
	r := &Region{Words: make([]uint32, len(v))}
	for i, f := range v {
		r.Words[i] = math.Float32bits(f)
	}
	return r
}

// Ints returns a region holding v as 64-bit integers.
func Ints(v []int) *Region {
	r := &Region{Words: make([]uint32, 2*len(v))}
	for i, x := range v {
		r.Words[2*i], r.Words[2*i+1] = uint32(uint64(x)), uint32(uint64(x)>>32)
	}
	return r
}

// Float returns word i as a float32.
func (r *Region) Float(i int) float32 { return math.Float32frombits(r.Words[i]) }

// Floats returns the region's words as float32s.
func (r *Region) Floats() []float32 {
	v := make([]float32, len(r.Words))
	for i := range v {
		v[i] = r.Float(i)
	}
	return v
}

// Arg is an argument of Call: an int or a float32; a *Region for a
// pointer (nil for a nil pointer); or Slice(r) for a []float32.
type Arg any

// sliceArg is a []float32 argument: pointer, length and capacity.
type sliceArg struct{ r *Region }

// Slice returns the argument of a []float32 held in r (nil: a nil slice).
func Slice(r *Region) Arg { return sliceArg{r} }

// regionBits places region k at k<<regionBits: addresses are region and
// byte offset.
const regionBits = 36

// Instructions returns the names of the instructions the interpreter runs.
func Instructions() []string { return slices.Sorted(maps.Keys(ops)) }

// Call runs function name on args and returns an error naming the
// instruction at fault for an access outside the regions, an unknown
// instruction, or more than limit instructions.
func (p *Program) Call(name string, limit int, args ...Arg) error {
	_, err := p.Run(name, limit, args...)
	return err
}

// Run is Call that also returns the function's results, the frame's words
// after the arguments.
func (p *Program) Run(name string, limit int, args ...Arg) ([]uint32, error) {
	f := p.funcs[name]
	if f == nil {
		return nil, fmt.Errorf("asmsim: no function %s", name)
	}
	c := &cpu{regions: []*Region{nil}} // address 0 is nil
	var words []uint32                 // the arguments as the frame holds them
	quad := func(v uint64) {
		if len(words)%2 != 0 {
			words = append(words, 0)
		}
		words = append(words, uint32(v), uint32(v>>32))
	}
	for i, a := range args {
		switch a := a.(type) {
		case int:
			quad(uint64(a))
		case float32:
			words = append(words, math.Float32bits(a))
		case *Region:
			quad(c.add(a))
		case sliceArg:
			n := 0
			if a.r != nil {
				n = len(a.r.Words)
			}
			quad(c.add(a.r))
			quad(uint64(n))
			quad(uint64(n))
		default:
			return nil, fmt.Errorf("asmsim: argument %d is a %T", i, a)
		}
	}
	if len(words)%2 != 0 && 4*len(words) < f.args {
		words = append(words, 0) // the results start 8-byte aligned
	}
	if 4*len(words) > f.args {
		return nil, fmt.Errorf("asmsim: %s takes %d bytes of arguments and results, not %d", name, f.args, 4*len(words))
	}
	frame := &Region{Words: make([]uint32, f.args/4)}
	copy(frame.Words, words)
	c.fp = c.add(frame)
	c.gp[gprs["SP"]] = c.add(&Region{Words: make([]uint32, f.frame/4)})
	c.static = map[string]uint64{}
	for sym, d := range p.data {
		c.static[sym] = c.add(&Region{Words: slices.Clone(d)})
	}
	c.sp = c.gp[gprs["SP"]]
	for n := 0; !c.done; n++ {
		if c.pc >= len(f.code) {
			return nil, fmt.Errorf("asmsim: %s ran off its end", name)
		}
		if n >= limit {
			return nil, fmt.Errorf("asmsim: %s: more than %d instructions", name, limit)
		}
		in := &f.code[c.pc]
		c.pc++
		if in.run == nil {
			return nil, fmt.Errorf("asmsim: %s line %d (%s): instruction %s is not interpreted", name, in.line, in.text, in.op)
		}
		if err := in.run(c, in); err != nil {
			return nil, fmt.Errorf("asmsim: %s line %d (%s): %v", name, in.line, in.text, err)
		}
	}
	return frame.Words[len(words):], nil
}

// ops are the instructions interpreted, by name.
var ops = union(integerOps, vectorOps)

func union(tables ...map[string]handler) map[string]handler {
	out := map[string]handler{}
	for _, t := range tables {
		for k, v := range t {
			if out[k] != nil {
				panic("asmsim: two handlers of " + k)
			}
			out[k] = v
		}
	}
	return out
}
