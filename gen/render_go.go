package gen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/segen/segen/asm"
	"github.com/segen/segen/se"
)

// renderGoKernels writes kernels_go.go: every per-sample kernel in portable
// Go, for CPUs and architectures without the assembly (and purego builds).
// Sizes are constants and operands fixed-size arrays, so the compiler drops
// bounds checks; reductions keep four independent accumulators.
func (p *Plan) renderGoKernels() *jen.File {
	f := p.newFile("")
	for _, k := range p.Kernels {
		params, _ := params(k.Kernel)
		f.Commentf("%sGo %s", k.Func, k.GoDoc)
		f.Func().Id(k.Func + "Go").Params(params...).Block(k.GoBody()...)
	}
	return f
}

func poolWord(s se.Shape) string {
	switch s.Squeeze {
	case se.Max:
		return "maximum"
	case se.Stochastic:
		return "stochastic pool (Σx²/Σx, or 0 where Σx ≤ 0)"
	}
	return "average"
}

func biasWord(bias bool) string {
	if bias {
		return " + b"
	}
	return ""
}

// view is the expression (*[n]float32)(s[i*n:]) naming row or plane i of s.
func view(s string, i jen.Code, n int) *jen.Statement {
	return jen.Parens(f32(n)).Call(jen.Id(s).Index(jen.Add(i).Op("*").Lit(n), jen.Empty()))
}

// sum4 emits four-accumulator sums of term(j) for j in [0, n) into s0…s3
// and returns the statements; the caller adds them up.
func sum4(n int, term func(j jen.Code) *jen.Statement) []jen.Code {
	code := []jen.Code{jen.Var().List(jen.Id("s0"), jen.Id("s1"), jen.Id("s2"), jen.Id("s3")).Float32()}
	if n >= 4 {
		var body []jen.Code
		for k := range 4 {
			idx := jen.Id("j")
			if k > 0 {
				idx = jen.Id("j").Op("+").Lit(k)
			}
			body = append(body, jen.Id(fmt.Sprintf("s%d", k)).Op("+=").Add(term(idx)))
		}
		code = append(code, jen.For(jen.Id("j").Op(":=").Lit(0), jen.Id("j").Op("<").Lit(n-3), jen.Id("j").Op("+=").Lit(4)).Block(body...))
	}
	for j := n / 4 * 4; j < n; j++ {
		code = append(code, jen.Id(fmt.Sprintf("s%d", j%4)).Op("+=").Add(term(jen.Lit(j))))
	}
	return code
}

// total4 adds up the four accumulators of sum4.
func total4() *jen.Statement {
	return jen.Parens(jen.Id("s0").Op("+").Id("s1")).Op("+").Parens(jen.Id("s2").Op("+").Id("s3"))
}

func squeezeGo(s se.Shape) []jen.Code {
	c, plane := s.C, s.Plane()
	if s.Layout == se.NCHW {
		var body []jen.Code
		body = append(body, jen.Id("plane").Op(":=").Add(view("x", jen.Id("c"), plane)))
		if s.Squeeze == se.Max {
			body = append(body,
				jen.Id("m").Op(":=").Id("plane").Index(jen.Lit(0)),
				jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("plane").Index(jen.Lit(1), jen.Empty())).Block(
					jen.Id("m").Op("=").Max(jen.Id("m"), jen.Id("v")),
				),
				jen.Id("z").Index(jen.Id("c")).Op("=").Id("m"),
			)
		} else if s.Squeeze == se.Stochastic {
			body = append(body,
				jen.Var().List(jen.Id("sum"), jen.Id("squares")).Float32(),
				jen.For(jen.List(jen.Id("_"), jen.Id("v")).Op(":=").Range().Id("plane")).Block(
					jen.Id("sum").Op("+=").Id("v"),
					jen.Id("squares").Op("+=").Id("v").Op("*").Id("v"),
				),
				jen.Id("z").Index(jen.Id("c")).Op("=").Qual(sePath, "ProbabilityWeighted").Call(jen.Id("sum"), jen.Id("squares")),
			)
		} else {
			body = append(body, sum4(plane, func(j jen.Code) *jen.Statement { return jen.Id("plane").Index(j) })...)
			body = append(body, jen.Id("z").Index(jen.Id("c")).Op("=").Parens(total4()).Op("/").Lit(plane))
		}
		return []jen.Code{jen.For(jen.Id("c").Op(":=").Range().Id("z")).Block(body...)}
	}
	if s.Squeeze == se.Stochastic {
		// NHWC: fold rows into z (the sums) and squares, then divide.
		return []jen.Code{
			jen.Var().Id("squares").Index(jen.Lit(c)).Float32(),
			jen.Op("*").Id("z").Op("=").Index(jen.Lit(c)).Float32().Values(),
			jen.For(jen.Id("r").Op(":=").Range().Lit(plane)).Block(
				jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Add(view("x", jen.Id("r"), c))).Block(
					jen.Id("z").Index(jen.Id("c")).Op("+=").Id("v"),
					jen.Id("squares").Index(jen.Id("c")).Op("+=").Id("v").Op("*").Id("v"),
				),
			),
			jen.For(jen.List(jen.Id("c"), jen.Id("q")).Op(":=").Range().Id("squares")).Block(
				jen.Id("z").Index(jen.Id("c")).Op("=").Qual(sePath, "ProbabilityWeighted").Call(jen.Id("z").Index(jen.Id("c")), jen.Id("q")),
			),
		}
	}
	// NHWC: each row holds one value per channel; fold rows into z.
	combine := jen.Id("z").Index(jen.Id("c")).Op("+=").Id("v")
	first := jen.Op("*").Id("z").Op("=").Index(jen.Lit(c)).Float32().Values()
	start := 0
	if s.Squeeze == se.Max {
		combine = jen.Id("z").Index(jen.Id("c")).Op("=").Max(jen.Id("z").Index(jen.Id("c")), jen.Id("v"))
		first = jen.Op("*").Id("z").Op("=").Op("*").Add(view("x", jen.Lit(0), c))
		start = 1
	}
	code := []jen.Code{
		first,
		jen.For(jen.Id("r").Op(":=").Lit(start), jen.Id("r").Op("<").Lit(plane), jen.Id("r").Op("++")).Block(
			jen.For(jen.List(jen.Id("c"), jen.Id("v")).Op(":=").Range().Add(view("x", jen.Id("r"), c))).Block(combine),
		),
	}
	if s.Squeeze == se.Avg {
		code = append(code, jen.For(jen.Id("c").Op(":=").Range().Id("z")).Block(
			jen.Id("z").Index(jen.Id("c")).Op("/=").Lit(plane)))
	}
	return code
}

func scaleGo(s se.Shape, addReLU bool) []jen.Code {
	c, plane := s.C, s.Plane()
	value := func(i, g jen.Code) *jen.Statement {
		v := jen.Id("xs").Index(i).Op("*").Add(g)
		if addReLU {
			return jen.Max(v.Op("+").Id("rs").Index(i), jen.Lit(0))
		}
		return v
	}
	views := func(i jen.Code, n int) []jen.Code {
		names := []jen.Code{jen.Id("xs"), jen.Id("ds")}
		vals := []jen.Code{view("x", i, n), view("dst", i, n)}
		if addReLU {
			names = append(names, jen.Id("rs"))
			vals = append(vals, view("res", i, n))
		}
		return []jen.Code{jen.List(names...).Op(":=").List(vals...)}
	}
	if s.Layout == se.NCHW {
		return []jen.Code{jen.For(jen.List(jen.Id("c"), jen.Id("g")).Op(":=").Range().Id("s")).Block(
			append(views(jen.Id("c"), plane),
				jen.For(jen.Id("i").Op(":=").Range().Id("xs")).Block(
					jen.Id("ds").Index(jen.Id("i")).Op("=").Add(value(jen.Id("i"), jen.Id("g")))))...,
		)}
	}
	return []jen.Code{jen.For(jen.Id("r").Op(":=").Range().Lit(plane)).Block(
		append(views(jen.Id("r"), c),
			jen.For(jen.List(jen.Id("c"), jen.Id("g")).Op(":=").Range().Id("s")).Block(
				jen.Id("ds").Index(jen.Id("c")).Op("=").Add(value(jen.Id("c"), jen.Id("g")))))...,
	)}
}

func fcGo(fc FCPlan) []jen.Code {
	body := []jen.Code{jen.Id("row").Op(":=").Add(view("w", jen.Id("i"), fc.K))}
	body = append(body, sum4(fc.K, func(j jen.Code) *jen.Statement {
		return jen.Id("row").Index(j).Op("*").Id("x").Index(j)
	})...)
	v := total4()
	if fc.Bias {
		v = v.Op("+").Id("b").Index(jen.Id("i"))
	}
	body = append(body, jen.Id("v").Op(":=").Add(v))
	out := jen.Max(jen.Id("v"), jen.Lit(0))
	if fc.Act == asm.Sigmoid {
		out = jen.Qual(sePath, "Sigmoid").Call(jen.Id("v"))
	}
	body = append(body, jen.Id("dst").Index(jen.Id("i")).Op("=").Add(out))
	return []jen.Code{jen.For(jen.Id("i").Op(":=").Range().Id("dst")).Block(body...)}
}
