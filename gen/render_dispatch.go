package gen

import (
	"github.com/dave/jennifer/jen"

	"github.com/segen/segen/asm"
)

// isaConst is the Go constant naming an ISA in generated code.
func isaConst(suffix string) string { return "isa" + suffix }

// renderDispatch writes dispatch.go: the isa type and the choice of the ISA
// init registers, shared by every build.
func (p *Plan) renderDispatch() *jen.File {
	f := p.newFile("")
	f.Comment("isa is an instruction set a kernel runs on.")
	f.Type().Id("isa").Uint8()
	consts := []jen.Code{jen.Id(isaConst("Go")).Id("isa").Op("=").Iota().Comment("portable Go, the fallback")}
	cases := []jen.Code{jen.Case(jen.Id(isaConst("Go"))).Block(jen.Return(jen.Lit("go")))}
	for _, isa := range p.ISAs {
		consts = append(consts, jen.Id(isaConst(isa.Suffix)))
		cases = append(cases, jen.Case(jen.Id(isaConst(isa.Suffix))).Block(jen.Return(jen.Lit(isa.Name))))
	}
	f.Const().Defs(consts...)
	f.Comment("String returns the name SEGEN_ISA and Kernel.Impl use.")
	f.Func().Params(jen.Id("i").Id("isa")).Id("String").Params().String().Block(
		jen.Switch(jen.Id("i")).Block(cases...),
		jen.Return(jen.Lit("unknown")),
	)
	f.Comment("selected returns the ISA whose kernels init registers: the one SEGEN_ISA names")
	f.Comment("if this CPU supports it, else the best the CPU supports. Tests assert the")
	f.Comment("registered kernels ran on SEGEN_ISA's choice, so a silent fallback cannot pass.")
	f.Func().Id("selected").Params().Id("isa").Block(
		jen.Id("isas").Op(":=").Id("supported").Call(),
		jen.If(jen.Id("want").Op(":=").Qual("os", "Getenv").Call(jen.Lit("SEGEN_ISA")), jen.Id("want").Op("!=").Lit("")).Block(
			jen.For(jen.List(jen.Id("_"), jen.Id("i")).Op(":=").Range().Id("isas")).Block(
				jen.If(jen.Id("i").Dot("String").Call().Op("==").Id("want")).Block(jen.Return(jen.Id("i"))),
			),
		),
		jen.Return(jen.Id("isas").Index(jen.Lit(0))),
	)
	f.Comment("forISA returns new(i) for the supported instruction set i named name, else nil.")
	f.Func().Id("forISA").Params(jen.Id("name").String(), jen.Id("new").Func().Params(jen.Id("isa")).Qual(sePath, "Kernel")).Qual(sePath, "Kernel").Block(
		jen.For(jen.List(jen.Id("_"), jen.Id("i")).Op(":=").Range().Id("supported").Call()).Block(
			jen.If(jen.Id("i").Dot("String").Call().Op("==").Id("name")).Block(jen.Return(jen.Id("new").Call(jen.Id("i")))),
		),
		jen.Return(jen.Nil()),
	)
	return f
}

// renderSupported writes the file listing the ISAs this CPU runs, best
// first: every emitted target the CPU has on amd64, only Go elsewhere.
func (p *Plan) renderSupported(constraint string, isas []asm.ISA) *jen.File {
	f := p.newFile(constraint)
	f.Comment("supported lists the instruction sets this CPU runs, best first.")
	var body []jen.Code
	if len(isas) > 0 {
		body = append(body, jen.Id("s").Op(":=").Index().Id("isa").Values())
		for i := len(isas) - 1; i >= 0; i-- { // best first
			isa := isas[i]
			var cond *jen.Statement
			switch isa.Name {
			case "avx512":
				// The kernels use AVX-512F instructions on 128- and 256-bit
				// registers too (VL), and VXORPS and VORPS on ZMM (DQ).
				cond = jen.Qual(cpuPath, "X86").Dot("HasAVX512F").Op("&&").Qual(cpuPath, "X86").Dot("HasAVX512VL").Op("&&").Qual(cpuPath, "X86").Dot("HasAVX512DQ")
			case "avx2":
				cond = jen.Qual(cpuPath, "X86").Dot("HasAVX2").Op("&&").Qual(cpuPath, "X86").Dot("HasFMA")
			}
			body = append(body, jen.If(cond).Block(jen.Id("s").Op("=").Append(jen.Id("s"), jen.Id(isaConst(isa.Suffix)))))
		}
		body = append(body, jen.Return(jen.Append(jen.Id("s"), jen.Id(isaConst("Go")))))
	} else {
		body = append(body, jen.Return(jen.Index().Id("isa").Values(jen.Id(isaConst("Go")))))
	}
	f.Func().Id("supported").Params().Index().Id("isa").Block(body...)
	return f
}

// kernelOp is one per-sample kernel of a block, as the dispatch sees it.
type kernelOp struct {
	name   string // method and function stem: squeeze, scale, scaleAddReLU
	params []jen.Code
	args   []jen.Code
}

func (p *Plan) kernelOps(b BlockPlan) []kernelOp {
	c, size := b.Shape.C, b.Size()
	ids := func(names ...string) []jen.Code {
		var out []jen.Code
		for _, n := range names {
			out = append(out, jen.Id(n))
		}
		return out
	}
	return []kernelOp{
		{"squeeze", []jen.Code{jen.Id("z").Add(f32(c)), jen.Id("x").Add(f32(size))}, ids("z", "x")},
		{"scale", []jen.Code{jen.List(jen.Id("dst"), jen.Id("x")).Add(f32(size)), jen.Id("s").Add(f32(c))}, ids("dst", "x", "s")},
		{"scaleAddReLU", []jen.Code{jen.List(jen.Id("dst"), jen.Id("x")).Add(f32(size)), jen.Id("s").Add(f32(c)), jen.Id("res").Add(f32(size))}, ids("dst", "x", "s", "res")},
	}
}

// fcParams returns the parameters and argument names of an FC kernel.
func fcParams(fc FCPlan) ([]jen.Code, []jen.Code) {
	params := []jen.Code{jen.Id("dst").Add(f32(fc.Rows)), jen.Id("w").Add(f32(fc.Rows * fc.K)), jen.Id("x").Add(f32(fc.K))}
	args := []jen.Code{jen.Id("dst"), jen.Id("w"), jen.Id("x")}
	if fc.Bias {
		params = append(params, jen.Id("b").Add(f32(fc.Rows)))
		args = append(args, jen.Id("b"))
	}
	return params, args
}

// renderImpl writes the file that routes each per-sample kernel to the
// implementation of the kernel's ISA: a switch over isas (the assembly
// targets, amd64 only) with Go as the default. Direct calls, not function
// values, let escape analysis keep the callers' scratch on the stack.
func (p *Plan) renderImpl(constraint string, isas []asm.ISA) *jen.File {
	f := p.newFile(constraint)
	route := func(sel jen.Code, call func(suffix string) jen.Code) []jen.Code {
		if len(isas) == 0 {
			return []jen.Code{call("Go")}
		}
		var cases []jen.Code
		for i := len(isas) - 1; i >= 0; i-- {
			cases = append(cases, jen.Case(jen.Id(isaConst(isas[i].Suffix))).Block(call(isas[i].Suffix)))
		}
		cases = append(cases, jen.Default().Block(call("Go")))
		return []jen.Code{jen.Switch(sel).Block(cases...)}
	}
	for _, b := range p.Blocks {
		for _, op := range p.kernelOps(b) {
			f.Commentf("%s runs %s on one sample with the kernel's instruction set.", op.name, b.Func(op.name, "<ISA>"))
			f.Func().Params(jen.Id("k").Id(b.Type)).Id(op.name).Params(op.params...).Block(
				route(jen.Id("k").Dot("isa"), func(suffix string) jen.Code {
					return jen.Id(b.Func(op.name, suffix)).Call(op.args...)
				})...,
			)
		}
	}
	for _, fc := range p.FCs {
		params, args := fcParams(fc)
		f.Commentf("%s runs %s<ISA> with the instruction set i.", fc.Name, fc.Name)
		f.Func().Id(fc.Name).Params(append([]jen.Code{jen.Id("i").Id("isa")}, params...)...).Block(
			route(jen.Id("i"), func(suffix string) jen.Code {
				return jen.Id(fc.Name + suffix).Call(args...)
			})...,
		)
	}
	return f
}
