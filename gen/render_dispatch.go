package gen

import (
	"github.com/dave/jennifer/jen"

	"github.com/segen/segen/asm"
)

// params returns a kernel's parameters as Go parameters and as the
// arguments that pass them on.
func params(k asm.Kernel) (params, args []jen.Code) {
	for _, p := range k.Params() {
		params = append(params, jen.Id(p.Name).Add(f32(p.Len)))
		args = append(args, jen.Id(p.Name))
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
	for _, k := range p.Kernels {
		params, args := params(k.Kernel)
		call := func(suffix string) jen.Code { return jen.Id(k.Func + suffix).Call(args...) }
		if k.Block != "" {
			f.Commentf("%s runs %s on one sample with the kernel's instruction set.", k.Method, k.Func+"<ISA>")
			f.Func().Params(jen.Id("k").Id(k.Block)).Id(k.Method).Params(params...).Block(route(jen.Id("k").Dot("isa"), call)...)
			continue
		}
		f.Commentf("%s runs %s<ISA> with the instruction set i.", k.Func, k.Func)
		f.Func().Id(k.Func).Params(append([]jen.Code{jen.Id("i").Qual(isaPath, "ISA")}, params...)...).Block(route(jen.Id("i"), call)...)
	}
	return f
}
