package gen

import (
	"github.com/dave/jennifer/jen"
)

// renderTests writes kernels_test.go: every block on every instruction set
// the CPU runs through se/setest's conformance suite, a check that se.Lookup
// returns the selected implementation, and benchmarks named
// Benchmark<Op>/<block>/<impl> for benchstat.
func (p *Plan) renderTests() *jen.File {
	f := p.newFile("")
	f.Comment("TestKernels checks every block on every instruction set this CPU runs")
	f.Comment("against se's generic kernels.")
	f.Func().Id("TestKernels").Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(
		jen.For(jen.List(jen.Id("_"), jen.Id("b")).Op(":=").Range().Id("blocks")).Block(
			jen.For(jen.List(jen.Id("_"), jen.Id("i")).Op(":=").Range().Id("supported").Call()).Block(
				jen.Id("k").Op(":=").Id("b").Dot("new").Call(jen.Id("i")),
				jen.Id("t").Dot("Run").Call(jen.Id("b").Dot("name").Op("+").Lit("/").Op("+").Id("i").Dot("String").Call(),
					jen.Func().Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(
						jen.If(jen.Id("got").Op(":=").Id("k").Dot("Impl").Call(), jen.Id("got").Op("!=").Id("i").Dot("String").Call()).Block(
							jen.Id("t").Dot("Fatalf").Call(jen.Lit("Impl() = %q, want %q"), jen.Id("got"), jen.Id("i")),
						),
						jen.Qual(setestPath, "Check").Call(jen.Id("t"), jen.Id("k")),
					)),
			),
		),
	)
	targets := []jen.Code{jen.Lit("go")}
	for _, isa := range p.ISAs {
		targets = append(targets, jen.Lit(isa.Name))
	}
	f.Comment("TestRegistered checks that se.Lookup returns this package's kernels on the")
	f.Comment("selected instruction set, and that SEGEN_ISA, when set to one the package")
	f.Comment("was generated for, is what was selected.")
	f.Func().Id("TestRegistered").Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(
		jen.Id("want").Op(":=").Id("selected").Call().Dot("String").Call(),
		jen.Id("env").Op(":=").Qual("os", "Getenv").Call(jen.Lit("SEGEN_ISA")),
		jen.If(jen.Id("env").Op("!=").Lit("").Op("&&").Id("env").Op("!=").Id("want").Op("&&").Qual("slices", "Contains").Call(jen.Index().String().Values(targets...), jen.Id("env"))).Block(
			jen.Id("t").Dot("Fatalf").Call(jen.Lit("SEGEN_ISA=%s, but this build and CPU run only %v"), jen.Id("env"), jen.Id("supported").Call()),
		),
		jen.For(jen.List(jen.Id("_"), jen.Id("b")).Op(":=").Range().Id("blocks")).Block(
			jen.Id("k").Op(":=").Qual(sePath, "Lookup").Call(jen.Id("b").Dot("shape")),
			jen.If(jen.Id("got").Op(":=").Id("k").Dot("Impl").Call(), jen.Id("got").Op("!=").Id("want")).Block(
				jen.Id("t").Dot("Errorf").Call(jen.Lit("%s: se.Lookup runs %s, want %s"), jen.Id("b").Dot("name"), jen.Id("got"), jen.Id("want")),
			),
			jen.Id("v").Op(":=").Id("k").Assert(jen.Interface(jen.Id("ForISA").Params(jen.String()).Qual(sePath, "Kernel"))),
			jen.For(jen.List(jen.Id("_"), jen.Id("i")).Op(":=").Range().Id("supported").Call()).Block(
				jen.If(jen.Id("got").Op(":=").Id("v").Dot("ForISA").Call(jen.Id("i").Dot("String").Call()), jen.Id("got").Op("==").Nil().Op("||").Id("got").Dot("Impl").Call().Op("!=").Id("i").Dot("String").Call()).Block(
					jen.Id("t").Dot("Errorf").Call(jen.Lit("%s: ForISA(%s) = %v"), jen.Id("b").Dot("name"), jen.Id("i"), jen.Id("got")),
				),
			),
			jen.If(jen.Id("v").Dot("ForISA").Call(jen.Lit("sse")).Op("!=").Nil()).Block(
				jen.Id("t").Dot("Errorf").Call(jen.Lit("%s: ForISA(sse) is not nil"), jen.Id("b").Dot("name")),
			),
		),
	)
	f.Comment("TestForwardNoAllocs checks that the block drivers keep their scratch on the")
	f.Comment("stack: a forward pass allocates nothing.")
	f.Func().Id("TestForwardNoAllocs").Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(
		jen.For(jen.List(jen.Id("_"), jen.Id("b")).Op(":=").Range().Id("blocks")).Block(
			jen.List(jen.Id("k"), jen.Id("s")).Op(":=").List(jen.Id("b").Dot("new").Call(jen.Id("selected").Call()), jen.Id("b").Dot("shape")),
			jen.Id("p").Op(":=").Qual(setestPath, "RandomParams").Call(jen.Id("s"), jen.Lit(1)),
			jen.Id("x").Op(":=").Qual(setestPath, "RandomData").Call(jen.Id("s").Dot("Size").Call(), jen.Lit(2)),
			jen.Id("dst").Op(":=").Make(jen.Index().Float32(), jen.Len(jen.Id("x"))),
			jen.If(jen.Id("n").Op(":=").Qual("testing", "AllocsPerRun").Call(jen.Lit(2), jen.Func().Params().Block(
				jen.Id("k").Dot("ForwardAddReLU").Call(jen.Id("dst"), jen.Id("x"), jen.Id("x"), jen.Id("p")),
			)), jen.Id("n").Op("!=").Lit(0)).Block(
				jen.Id("t").Dot("Errorf").Call(jen.Lit("%s: ForwardAddReLU allocates %v times per call"), jen.Id("b").Dot("name"), jen.Id("n")),
			),
		),
	)
	for _, op := range []string{"Squeeze", "Excite", "Scale", "ScaleAddReLU", "Forward", "ForwardAddReLU"} {
		f.Func().Id("Benchmark" + op).Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(
			jen.Id("benchmark").Call(jen.Id("b"), jen.Qual(setestPath, op)),
		)
	}
	f.Comment("benchmark runs op on every block: \"specialised\" is the kernel se.Lookup returns,")
	f.Comment("\"generic\" se's plain Go, \"generic-simd\" se/simd's runtime-sized assembly, and")
	f.Comment("\"specialised-<isa>\" each instruction set the CPU runs.")
	f.Func().Id("benchmark").Params(jen.Id("b").Op("*").Qual("testing", "B"), jen.Id("op").Qual(setestPath, "Op")).Block(
		jen.Type().Id("impl").Struct(jen.Id("name").String(), jen.Id("k").Qual(sePath, "Kernel")),
		jen.For(jen.List(jen.Id("_"), jen.Id("blk")).Op(":=").Range().Id("blocks")).Block(
			jen.Id("impls").Op(":=").Index().Id("impl").Values(
				jen.Values(jen.Lit("specialised"), jen.Qual(sePath, "Lookup").Call(jen.Id("blk").Dot("shape"))),
				jen.Values(jen.Lit("generic"), jen.Qual(sePath, "Generic").Call(jen.Id("blk").Dot("shape"))),
				jen.Values(jen.Lit("generic-simd"), jen.Qual(simdPath, "New").Call(jen.Id("blk").Dot("shape"))),
			),
			jen.For(jen.List(jen.Id("_"), jen.Id("i")).Op(":=").Range().Id("supported").Call()).Block(
				jen.Id("impls").Op("=").Append(jen.Id("impls"), jen.Id("impl").Values(
					jen.Lit("specialised-").Op("+").Id("i").Dot("String").Call(), jen.Id("blk").Dot("new").Call(jen.Id("i")))),
			),
			jen.For(jen.List(jen.Id("_"), jen.Id("im")).Op(":=").Range().Id("impls")).Block(
				jen.Id("b").Dot("Run").Call(jen.Id("blk").Dot("name").Op("+").Lit("/").Op("+").Id("im").Dot("name"),
					jen.Func().Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(
						jen.Qual(setestPath, "Benchmark").Call(jen.Id("b"), jen.Id("im").Dot("k"), jen.Id("op")),
					)),
			),
		),
	)
	return f
}
