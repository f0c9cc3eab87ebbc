// Package asmsim runs Go amd64 assembly as segen emits it, one instruction
// at a time, on an interpreter of the subset its grouped convolution
// kernels use: tests run the AVX-512 kernels on machines without AVX-512
// (and the AVX2 ones beside the hardware, which checks the interpreter),
// and every memory access must fall inside one of the slices the kernel
// was handed, as large as its contract says.
//
// Values live in 32-bit words: the registers (sixteen general ones, 32
// vectors of up to sixteen lanes), the frame (arguments and locals), the
// file's DATA symbols and the caller's slices, each a region of its own at
// an address of its own. Floating-point arithmetic is float32, fused
// multiply-adds rounded once to float64 then to float32 (a last-bit
// difference from the hardware in rare cases).
package asmsim

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Program is a parsed assembly file: its functions and its data.
type Program struct {
	funcs map[string]*function
	data  map[string][]uint32
}

type function struct {
	name        string
	frame, args int // bytes of locals and of arguments
	code        []instruction
	labels      map[string]int
}

type instruction struct {
	op   string
	args []operand
	line int
	text string
}

type kind int

const (
	immediate kind = iota
	gpr
	vector
	memory
	label
)

type operand struct {
	kind  kind
	imm   int64
	reg   int // general register number, or vector register
	lanes int // vector lanes: 4, 8, 16
	// memory: base register (or -1 with sym set), index register (-1
	// none), scale, displacement; sym is "FP", "SP" or a DATA symbol.
	base, index, scale int
	disp               int64
	sym                string
	name               string // the label
}

var gprs = map[string]int{"AX": 0, "CX": 1, "DX": 2, "BX": 3, "SP": 4, "BP": 5, "SI": 6, "DI": 7,
	"R8": 8, "R9": 9, "R10": 10, "R11": 11, "R12": 12, "R13": 13, "R14": 14, "R15": 15}

var (
	textRE = regexp.MustCompile(`^TEXT\s+·(\w+)\(SB\),\s*[\w|]+,\s*\$(\d+)-(\d+)$`)
	dataRE = regexp.MustCompile(`^DATA\s+(\w+)<>\+(\d+)\(SB\)/4,\s*\$(0x[0-9a-f]+|\d+)$`)
	memRE  = regexp.MustCompile(`^(?:([A-Za-z_]\w*)(<>)?\+?)?(-?(?:0x[0-9a-f]+|\d+))?\((\w+)\)(?:\((\w+)\*([1248])\))?$`)
)

// Parse reads an assembly file as the avo printer writes it.
func Parse(src string) (*Program, error) {
	p := &Program{funcs: map[string]*function{}, data: map[string][]uint32{}}
	var f *function
	for n, line := range strings.Split(src, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#include") || strings.HasPrefix(line, "GLOBL"):
			continue
		case strings.HasPrefix(line, "TEXT"):
			m := textRE.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("asmsim: line %d: cannot read %q", n+1, line)
			}
			frame, _ := strconv.Atoi(m[2])
			args, _ := strconv.Atoi(m[3])
			f = &function{name: m[1], frame: frame, args: args, labels: map[string]int{}}
			p.funcs[f.name] = f
			continue
		case strings.HasPrefix(line, "DATA"):
			m := dataRE.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("asmsim: line %d: cannot read %q", n+1, line)
			}
			off, _ := strconv.Atoi(m[2])
			v, _ := strconv.ParseUint(m[3], 0, 32)
			d := p.data[m[1]]
			for len(d) <= off/4 {
				d = append(d, 0)
			}
			d[off/4] = uint32(v)
			p.data[m[1]] = d
			continue
		}
		if f == nil {
			return nil, fmt.Errorf("asmsim: line %d: %q outside a function", n+1, line)
		}
		if strings.HasSuffix(line, ":") {
			f.labels[strings.TrimSuffix(line, ":")] = len(f.code)
			continue
		}
		op, rest, _ := strings.Cut(line, " ")
		in := instruction{op: op, line: n + 1, text: line}
		if rest = strings.TrimSpace(rest); rest != "" {
			for _, a := range strings.Split(rest, ",") {
				o, err := parseOperand(strings.TrimSpace(a))
				if err != nil {
					return nil, fmt.Errorf("asmsim: line %d: %v", n+1, err)
				}
				in.args = append(in.args, o)
			}
		}
		f.code = append(f.code, in)
	}
	return p, nil
}

func parseOperand(s string) (operand, error) {
	if strings.HasPrefix(s, "$") {
		v, err := strconv.ParseInt(s[1:], 0, 64)
		return operand{kind: immediate, imm: v}, err
	}
	if r, ok := gprs[s]; ok {
		return operand{kind: gpr, reg: r}, nil
	}
	if len(s) >= 2 && strings.ContainsRune("XYZ", rune(s[0])) {
		if r, err := strconv.Atoi(s[1:]); err == nil {
			return operand{kind: vector, reg: r, lanes: map[byte]int{'X': 4, 'Y': 8, 'Z': 16}[s[0]]}, nil
		}
	}
	if m := memRE.FindStringSubmatch(s); m != nil {
		o := operand{kind: memory, base: -1, index: -1, scale: 1}
		if m[3] != "" {
			d, err := strconv.ParseInt(m[3], 0, 64)
			if err != nil {
				return o, err
			}
			o.disp = d
		}
		switch base := m[4]; base {
		case "FP", "SB":
			o.sym = base
			if base == "SB" {
				o.sym = m[1]
			}
		default:
			r, ok := gprs[base]
			if !ok {
				return o, fmt.Errorf("unknown base register in %q", s)
			}
			if r == gprs["SP"] {
				o.sym = "SP"
			} else {
				o.base = r
			}
		}
		if m[5] != "" {
			r, ok := gprs[m[5]]
			if !ok {
				return o, fmt.Errorf("unknown index register in %q", s)
			}
			o.index = r
			o.scale, _ = strconv.Atoi(m[6])
		}
		return o, nil
	}
	if regexp.MustCompile(`^\w+$`).MatchString(s) {
		return operand{kind: label, name: s}, nil
	}
	return operand{}, fmt.Errorf("cannot read operand %q", s)
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

// machine is one call's state.
type machine struct {
	gp      [16]uint64
	vec     [32][16]uint32
	zf, sf  bool // of the last flag-setting result
	regions []*Region
}

// Arg is an argument of Call: an integer, or a *Region for a pointer
// (nil for a nil pointer).
type Arg any

// regionBits places region k at k<<regionBits: addresses are region and
// byte offset.
const regionBits = 36

// Call runs function name on args, each an 8-byte argument word, and
// returns an error naming the instruction at fault for an access outside
// the regions, an unknown instruction, or more than limit instructions.
func (p *Program) Call(name string, limit int, args ...Arg) error {
	f := p.funcs[name]
	if f == nil {
		return fmt.Errorf("asmsim: no function %s", name)
	}
	if 8*len(args) != f.args {
		return fmt.Errorf("asmsim: %s takes %d bytes of arguments, not %d", name, f.args, 8*len(args))
	}
	m := &machine{}
	m.regions = []*Region{nil} // address 0 is nil
	add := func(r *Region) uint64 {
		r.base = uint64(len(m.regions)) << regionBits
		m.regions = append(m.regions, r)
		return r.base
	}
	frameArgs := &Region{Words: make([]uint32, f.args/4)}
	for i, a := range args {
		var v uint64
		switch a := a.(type) {
		case int:
			v = uint64(a)
		case *Region:
			if a != nil {
				v = add(a)
			}
		default:
			return fmt.Errorf("asmsim: argument %d is a %T", i, a)
		}
		frameArgs.Words[2*i], frameArgs.Words[2*i+1] = uint32(v), uint32(v>>32)
	}
	fp := add(frameArgs)
	sp := add(&Region{Words: make([]uint32, f.frame/4)})
	static := map[string]uint64{}
	for sym, d := range p.data {
		static[sym] = add(&Region{Words: append([]uint32(nil), d...)})
	}
	m.gp[gprs["SP"]] = sp
	for pc, n := 0, 0; pc < len(f.code); n++ {
		if n >= limit {
			return fmt.Errorf("asmsim: %s: more than %d instructions", name, limit)
		}
		in := &f.code[pc]
		next, done, err := m.step(pc, in, fp, sp, static)
		if err != nil {
			return fmt.Errorf("asmsim: %s line %d (%s): %v", name, in.line, in.text, err)
		}
		if done {
			return nil
		}
		pc = next
		if pc < 0 {
			pc = f.labels[in.args[0].name]
		}
	}
	return fmt.Errorf("asmsim: %s ran off its end", name)
}

// address returns the address a memory operand refers to.
func (m *machine) address(o operand, fp, sp uint64, static map[string]uint64) (uint64, error) {
	var a uint64
	switch o.sym {
	case "":
		a = m.gp[o.base]
	case "FP":
		a = fp
	case "SP":
		a = sp
	default:
		b, ok := static[o.sym]
		if !ok {
			return 0, fmt.Errorf("no data symbol %s", o.sym)
		}
		a = b
	}
	if o.index >= 0 {
		a += m.gp[o.index] * uint64(o.scale)
	}
	return a + uint64(o.disp), nil
}

// words returns the n words at address a, which must lie in one region.
func (m *machine) words(a uint64, n int) ([]uint32, error) {
	k := a >> regionBits
	off := a & (1<<regionBits - 1)
	if k == 0 || k >= uint64(len(m.regions)) || off%4 != 0 {
		return nil, fmt.Errorf("access to %#x, outside every region", a)
	}
	r := m.regions[k]
	if off/4+uint64(n) > uint64(len(r.Words)) {
		return nil, fmt.Errorf("access to words %d…%d of a region of %d", off/4, off/4+uint64(n)-1, len(r.Words))
	}
	return r.Words[off/4:][:n], nil
}

// step runs instruction pc and returns the next one's index (-1 for the
// label of a taken branch) or done at RET.
func (m *machine) step(pc int, in *instruction, fp, sp uint64, static map[string]uint64) (next int, done bool, err error) {
	next = pc + 1
	a := in.args
	mem := func(o operand, n int) ([]uint32, error) {
		addr, err := m.address(o, fp, sp, static)
		if err != nil {
			return nil, err
		}
		return m.words(addr, n)
	}
	// q reads a 64-bit operand.
	q := func(o operand) (uint64, error) {
		switch o.kind {
		case immediate:
			return uint64(o.imm), nil
		case gpr:
			return m.gp[o.reg], nil
		case memory:
			w, err := mem(o, 2)
			if err != nil {
				return 0, err
			}
			return uint64(w[0]) | uint64(w[1])<<32, nil
		}
		return 0, fmt.Errorf("operand %v is not 64-bit", o)
	}
	// setq writes a 64-bit destination.
	setq := func(o operand, v uint64) error {
		switch o.kind {
		case gpr:
			m.gp[o.reg] = v
			return nil
		case memory:
			w, err := mem(o, 2)
			if err != nil {
				return err
			}
			w[0], w[1] = uint32(v), uint32(v>>32)
			return nil
		}
		return fmt.Errorf("cannot write %v", o)
	}
	flags := func(v uint64) { m.zf, m.sf = v == 0, int64(v) < 0 }
	// vin reads a vector operand of lanes lanes (a register or memory).
	vin := func(o operand, lanes int) ([]uint32, error) {
		if o.kind == vector {
			return m.vec[o.reg][:lanes], nil
		}
		if o.kind == memory {
			return mem(o, lanes)
		}
		return nil, fmt.Errorf("operand %v is not a vector", o)
	}
	// vout writes lanes to a vector register, zeroing the lanes above.
	vout := func(o operand, v []uint32) {
		var r [16]uint32
		copy(r[:], v)
		m.vec[o.reg] = r
	}
	lanewise := func(fn func(x, y float32) float32) error { // op src2, src1, dst: dst = fn(src1, src2)
		d := a[2]
		s2, err := vin(a[0], d.lanes)
		if err != nil {
			return err
		}
		s1 := m.vec[a[1].reg][:d.lanes]
		out := make([]uint32, d.lanes)
		for i := range out {
			out[i] = math.Float32bits(fn(math.Float32frombits(s1[i]), math.Float32frombits(s2[i])))
		}
		vout(d, out)
		return nil
	}
	branch := func(taken bool) {
		if taken {
			next = -1
		}
	}
	var v, w uint64
	switch in.op {
	case "MOVQ":
		if v, err = q(a[0]); err == nil {
			err = setq(a[1], v)
		}
	case "LEAQ":
		if v, err = m.address(a[0], fp, sp, static); err == nil {
			err = setq(a[1], v)
		}
	case "ADDQ", "SUBQ", "XORQ":
		if v, err = q(a[0]); err != nil {
			break
		}
		if w, err = q(a[1]); err != nil {
			break
		}
		switch in.op {
		case "ADDQ":
			w += v
		case "SUBQ":
			w -= v
		default:
			w ^= v
		}
		flags(w)
		err = setq(a[1], w)
	case "SHLQ":
		if v, err = q(a[0]); err == nil {
			if w, err = q(a[1]); err == nil {
				w <<= v
				flags(w)
				err = setq(a[1], w)
			}
		}
	case "DECQ":
		if w, err = q(a[0]); err == nil {
			w--
			flags(w)
			err = setq(a[0], w)
		}
	case "CMPQ": // Go order: CMPQ x, y sets the flags of x − y
		if v, err = q(a[0]); err == nil {
			if w, err = q(a[1]); err == nil {
				flags(v - w)
			}
		}
	case "TESTQ":
		if v, err = q(a[0]); err == nil {
			if w, err = q(a[1]); err == nil {
				m.zf, m.sf = v&w == 0, int64(v&w) < 0
			}
		}
	case "JMP":
		branch(true)
	case "JZ", "JE":
		branch(m.zf)
	case "JNZ", "JNE":
		branch(!m.zf)
	case "JG":
		branch(!m.zf && !m.sf)
	case "JLE":
		branch(m.zf || m.sf)
	case "JL":
		branch(m.sf)
	case "RET":
		return 0, true, nil
	case "VZEROUPPER":
		for r := range m.vec {
			clear(m.vec[r][4:])
		}
	case "VXORPS":
		d := a[2]
		x, y := m.vec[a[0].reg], m.vec[a[1].reg]
		out := make([]uint32, d.lanes)
		for i := range out {
			out[i] = x[i] ^ y[i]
		}
		vout(d, out)
	case "VMOVUPS", "VMOVAPS":
		switch {
		case a[1].kind == vector:
			var s []uint32
			if s, err = vin(a[0], a[1].lanes); err == nil {
				vout(a[1], s)
			}
		case a[1].kind == memory:
			var d []uint32
			if d, err = mem(a[1], a[0].lanes); err == nil {
				copy(d, m.vec[a[0].reg][:a[0].lanes])
			}
		}
	case "VBROADCASTSS", "VBROADCASTSD", "VBROADCASTF128", "VBROADCASTF32X4":
		n := map[string]int{"VBROADCASTSS": 1, "VBROADCASTSD": 2, "VBROADCASTF128": 4, "VBROADCASTF32X4": 4}[in.op]
		var s []uint32
		if s, err = mem(a[0], n); err == nil {
			out := make([]uint32, a[1].lanes)
			for i := range out {
				out[i] = s[i%n]
			}
			vout(a[1], out)
		}
	case "VFMADD231PS": // VFMADD231PS b, a, acc: acc += a·b
		d := a[2]
		var b []uint32
		if b, err = vin(a[0], d.lanes); err != nil {
			break
		}
		x, acc := m.vec[a[1].reg], m.vec[d.reg]
		out := make([]uint32, d.lanes)
		for i := range out {
			r := math.FMA(float64(math.Float32frombits(x[i])), float64(math.Float32frombits(b[i])), float64(math.Float32frombits(acc[i])))
			out[i] = math.Float32bits(float32(r))
		}
		vout(d, out)
	case "VADDPS":
		err = lanewise(func(x, y float32) float32 { return x + y })
	case "VMAXPS": // dst = src1 > src2 ? src1 : src2, so a NaN gives src2
		err = lanewise(func(x, y float32) float32 {
			if x > y {
				return x
			}
			return y
		})
	case "VPERMILPS": // VPERMILPS $imm, src, dst: within each 128-bit lane
		d := a[2]
		s := m.vec[a[1].reg]
		out := make([]uint32, d.lanes)
		for i := range out {
			out[i] = s[i&^3+int(a[0].imm>>(2*(i&3))&3)]
		}
		vout(d, out)
	case "VSHUFPS": // VSHUFPS $imm, s2, s1, dst: s1's two selected, then s2's, in each 128-bit lane
		d := a[3]
		s2, s1 := m.vec[a[1].reg], m.vec[a[2].reg]
		out := make([]uint32, d.lanes)
		for i := range out {
			src := s1
			if i&3 >= 2 {
				src = s2
			}
			out[i] = src[i&^3+int(a[0].imm>>(2*(i&3))&3)]
		}
		vout(d, out)
	case "VHADDPS": // VHADDPS s2, s1, dst: s1's neighbour sums, then s2's, in each 128-bit lane
		d := a[2]
		s2, s1 := m.vec[a[0].reg], m.vec[a[1].reg]
		out := make([]uint32, d.lanes)
		for i := range out {
			src := s1
			if i&3 >= 2 {
				src = s2
			}
			j := i&^3 + 2*(i&1)
			out[i] = math.Float32bits(math.Float32frombits(src[j]) + math.Float32frombits(src[j+1]))
		}
		vout(d, out)
	case "VPERMPS": // VPERMPS src, idx, dst: dst[i] = src[idx[i]]
		d := a[2]
		var s []uint32
		if s, err = vin(a[0], d.lanes); err != nil {
			break
		}
		idx := m.vec[a[1].reg]
		out := make([]uint32, d.lanes)
		for i := range out {
			out[i] = s[int(idx[i])%d.lanes]
		}
		vout(d, out)
	default:
		return 0, false, fmt.Errorf("instruction %s is not interpreted", in.op)
	}
	if err != nil {
		return 0, false, err
	}
	return next, false, nil
}
