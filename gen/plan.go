package gen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/segen/segen/asm"
	"github.com/segen/segen/se"
)

// Plan is the table the emitters read: what a spec turns into, with every
// name and constant decided once. Emitters render it; they never re-derive it.
type Plan struct {
	Package string
	ISAs    []asm.ISA // assembly targets, in the order avx2, avx512
	Blocks  []BlockPlan
	Kernels []KernelRow // every per-sample kernel: each block's, then the FCs blocks share
}

// KernelRow is one per-sample kernel of the package, the one place its
// signature is decided. Its implementations are Func + "AVX2" and "AVX512",
// assembly emitted from Kernel, and Func + "Go", portable Go from GoBody;
// all take Kernel's parameters. A block's kernel is reached through the
// block's method Method, which routes to its instruction set; a shared
// kernel (Block empty: the FC layers, shared by blocks of equal size)
// through a function named Func that takes the instruction set first.
type KernelRow struct {
	Func   string
	Kernel asm.Kernel
	Block  string // Go type of the block whose method routes to the kernel
	Method string
	GoDoc  string // what the Go kernel computes, after its name
	GoBody func() []jen.Code
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
	var fcs []KernelRow
	addFC := func(fc asm.FC) FCPlan {
		bias := ""
		if fc.Bias {
			bias = "Bias"
		}
		f := FCPlan{FC: fc, Name: fmt.Sprintf("fc%dx%d%s%s", fc.Rows, fc.K, fc.Act, bias)}
		if !seen[f.Name] {
			seen[f.Name] = true
			fcs = append(fcs, KernelRow{Func: f.Name, Kernel: fc,
				GoDoc:  fmt.Sprintf("sets dst = %s(W·x%s) for a %d×%d row-major W.", fc.Act, biasWord(fc.Bias), fc.Rows, fc.K),
				GoBody: func() []jen.Code { return fcGo(f) }})
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
		p.Kernels = append(p.Kernels, p.Blocks[len(p.Blocks)-1].kernels()...)
	}
	p.Kernels = append(p.Kernels, fcs...)
	return p, nil
}

// kernels returns the rows of the block's own kernels: squeeze, scale and
// scale-add-relu.
func (b BlockPlan) kernels() []KernelRow {
	s := b.Shape
	row := func(method string, k asm.Kernel, doc string, body func() []jen.Code) KernelRow {
		return KernelRow{Func: method + b.Camel, Kernel: k, Block: b.Type, Method: method, GoDoc: doc, GoBody: body}
	}
	return []KernelRow{
		row("squeeze", asm.Squeeze{Layout: s.Layout, C: s.C, Plane: s.Plane(), Pool: s.Squeeze},
			fmt.Sprintf("sets z[c] to the %s of channel c.", poolWord(s)), func() []jen.Code { return squeezeGo(s) }),
		row("scale", asm.Scale{Layout: s.Layout, C: s.C, Plane: s.Plane()},
			"sets dst = x × s per channel.", func() []jen.Code { return scaleGo(s, false) }),
		row("scaleAddReLU", asm.Scale{Layout: s.Layout, C: s.C, Plane: s.Plane(), AddReLU: true},
			"sets dst = max(x×s + res, 0) per channel.", func() []jen.Code { return scaleGo(s, true) }),
	}
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
	for _, k := range p.Kernels {
		fmt.Fprintf(&b, "%-28s %+v\n", k.Func, k.Kernel)
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
