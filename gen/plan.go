package gen

import (
	"fmt"
	"strings"

	"github.com/segen/segen/asm"
	"github.com/segen/segen/se"
)

// Plan is the table the emitters read: what a spec turns into, with every
// name and constant decided once. Emitters render it; they never re-derive it.
type Plan struct {
	Package string
	ISAs    []asm.ISA // assembly targets, in the order avx2, avx512
	Blocks  []BlockPlan
	FCs     []FCPlan // the fully connected kernels, shared by blocks of equal size
}

// BlockPlan is one SE block of the spec.
type BlockPlan struct {
	Name     string // spec name, lower_snake_case
	Camel    string // Name in UpperCamelCase, for Go identifiers
	Type     string // Go type of the block's kernel: "block" + Camel
	Shape    se.Shape
	FC1, FC2 FCPlan // C → hidden with ReLU, hidden → C with sigmoid
}

// FCPlan is one fully connected kernel.
type FCPlan struct {
	asm.FC
	Name string // function name stem, e.g. "fc16x256ReLUBias"
}

// Func returns the name of the block's kernel op ("squeeze", "scale",
// "scaleAddReLU") for an implementation suffix ("AVX2", "AVX512", "Go").
func (b BlockPlan) Func(op, suffix string) string {
	return op + b.Camel + suffix
}

// Size returns the number of values of one sample.
func (b BlockPlan) Size() int { return b.Shape.Size() }

// NewPlan lays out the package for a validated spec.
func NewPlan(s *Spec) (*Plan, error) {
	p := &Plan{Package: s.Package}
	for _, t := range s.Targets {
		isa, err := asm.ISAByName(t)
		if err != nil {
			return nil, err
		}
		p.ISAs = append(p.ISAs, isa)
	}
	seen := map[string]bool{}
	addFC := func(fc asm.FC) FCPlan {
		bias := ""
		if fc.Bias {
			bias = "Bias"
		}
		f := FCPlan{FC: fc, Name: fmt.Sprintf("fc%dx%d%s%s", fc.Rows, fc.K, fc.Act, bias)}
		if !seen[f.Name] {
			seen[f.Name] = true
			p.FCs = append(p.FCs, f)
		}
		return f
	}
	camels := map[string]string{}
	for _, b := range s.Blocks {
		sh := b.Shape
		camel := upperFirst(lowerCamel(b.Name))
		if other, ok := camels[camel]; ok {
			return nil, fmt.Errorf("%s:%d: name %q and %q both become the Go identifier %s; rename one",
				s.File, b.Line, other, b.Name, camel)
		}
		camels[camel] = b.Name
		p.Blocks = append(p.Blocks, BlockPlan{
			Name:  b.Name,
			Camel: camel,
			Type:  "block" + camel,
			Shape: sh,
			FC1:   addFC(asm.FC{Rows: sh.Hidden, K: sh.C, Bias: sh.Bias, Act: asm.ReLU}),
			FC2:   addFC(asm.FC{Rows: sh.C, K: sh.Hidden, Bias: sh.Bias, Act: asm.Sigmoid}),
		})
	}
	return p, nil
}

// String prints the plan as a table, a debugging aid.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s, ISAs", p.Package)
	for _, isa := range p.ISAs {
		fmt.Fprintf(&b, " %s", isa)
	}
	b.WriteString(" + go\n")
	for _, blk := range p.Blocks {
		fmt.Fprintf(&b, "%-20s %-40v %s %s\n", blk.Name, blk.Shape, blk.FC1.Name, blk.FC2.Name)
	}
	return b.String()
}

// lowerCamel turns a lower_snake_case name into lowerCamelCase.
func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = upperFirst(parts[i])
	}
	return strings.Join(parts, "")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
