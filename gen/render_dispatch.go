package gen

import (
	"github.com/dave/jennifer/jen"

	"github.com/segen/segen/asm"
)

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
			cases = append(cases, jen.Case(jen.Qual(isaPath, isas[i].Suffix())).Block(call(isas[i].Suffix())))
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
		f.Func().Id(fc.Name).Params(append([]jen.Code{jen.Id("i").Qual(isaPath, "ISA")}, params...)...).Block(
			route(jen.Id("i"), func(suffix string) jen.Code {
				return jen.Id(fc.Name + suffix).Call(args...)
			})...,
		)
	}
	return f
}
