package asmsim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

type function struct {
	name        string
	frame, args int // bytes of locals and of arguments and results
	code        []instruction
}

// handler runs one instruction.
type handler func(c *cpu, in *instruction) error

type instruction struct {
	op   string // without a .Z suffix
	args []operand
	// mask is the opmask register of an AVX-512 write mask (0: none), and
	// zeroing its .Z suffix: masked-off lanes of a register destination
	// are zeroed rather than kept.
	mask    int
	zeroing bool
	target  int // a branch's destination
	run     handler
	line    int
	text    string
}

type kind int

const (
	immediate kind = iota
	gpr
	vector
	opmask
	memory
	label
)

type operand struct {
	kind  kind
	imm   int64
	reg   int // general, vector or opmask register number
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
	textRE  = regexp.MustCompile(`^TEXT\s+·(\w+)\(SB\),\s*(?:[\w|]+,\s*)?\$(\d+)-(\d+)$`)
	dataRE  = regexp.MustCompile(`^DATA\s+(\w+)<>\+(\d+)\(SB\)/4,\s*\$(0x[0-9a-f]+|\d+)$`)
	memRE   = regexp.MustCompile(`^(?:([A-Za-z_]\w*)(<>)?\+?)?(-?(?:0x[0-9a-f]+|\d+))?\((\w+)\)(?:\((\w+)\*([1248])\))?$`)
	labelRE = regexp.MustCompile(`^\w+$`)
)

// Parse reads an assembly file as the avo printer writes it.
func Parse(src string) (*Program, error) {
	p := &Program{funcs: map[string]*function{}, data: map[string][]uint32{}}
	var f *function
	var labels map[string]int
	// resolve points f's branches at their labels.
	resolve := func() error {
		if f == nil {
			return nil
		}
		for i := range f.code {
			in := &f.code[i]
			if len(in.args) == 1 && in.args[0].kind == label {
				t, ok := labels[in.args[0].name]
				if !ok {
					return fmt.Errorf("asmsim: line %d: no label %s in %s", in.line, in.args[0].name, f.name)
				}
				in.target = t
			}
		}
		return nil
	}
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
			if err := resolve(); err != nil {
				return nil, err
			}
			frame, _ := strconv.Atoi(m[2])
			args, _ := strconv.Atoi(m[3])
			f, labels = &function{name: m[1], frame: frame, args: args}, map[string]int{}
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
			labels[strings.TrimSuffix(line, ":")] = len(f.code)
			continue
		}
		in, err := parseInstruction(line)
		if err != nil {
			return nil, fmt.Errorf("asmsim: line %d: %v", n+1, err)
		}
		in.line = n + 1
		f.code = append(f.code, in)
	}
	if err := resolve(); err != nil {
		return nil, err
	}
	return p, nil
}

// parseInstruction reads one instruction. An opmask operand before the
// last is a write mask: it moves to the instruction's mask.
func parseInstruction(line string) (instruction, error) {
	op, rest, _ := strings.Cut(line, " ")
	in := instruction{op: op, text: line}
	if base, ok := strings.CutSuffix(op, ".Z"); ok {
		in.op, in.zeroing = base, true
	}
	if rest = strings.TrimSpace(rest); rest != "" {
		for _, a := range strings.Split(rest, ",") {
			o, err := parseOperand(strings.TrimSpace(a))
			if err != nil {
				return in, err
			}
			in.args = append(in.args, o)
		}
	}
	if n := len(in.args); n >= 2 && in.args[n-2].kind == opmask {
		in.mask = in.args[n-2].reg
		in.args = append(in.args[:n-2], in.args[n-1])
	}
	if in.zeroing && in.mask == 0 {
		return in, fmt.Errorf("%s zeroes without a mask", op)
	}
	in.run = ops[in.op]
	return in, nil
}

func parseOperand(s string) (operand, error) {
	if strings.HasPrefix(s, "$") {
		v, err := strconv.ParseInt(s[1:], 0, 64)
		return operand{kind: immediate, imm: v}, err
	}
	if r, ok := gprs[s]; ok {
		return operand{kind: gpr, reg: r}, nil
	}
	if len(s) >= 2 && strings.ContainsRune("XYZK", rune(s[0])) {
		if r, err := strconv.Atoi(s[1:]); err == nil {
			if s[0] == 'K' {
				return operand{kind: opmask, reg: r}, nil
			}
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
	if labelRE.MatchString(s) {
		return operand{kind: label, name: s}, nil
	}
	return operand{}, fmt.Errorf("cannot read operand %q", s)
}
