package gen

import (
	"github.com/dave/jennifer/jen"

	"github.com/segen/segen/se"
)

// renderTests writes kernels_test.go: se/setest's test of a generated
// package, and benchmarks named Benchmark<Op>/<block>/<impl> for benchstat.
func (p *Plan) renderTests() *jen.File {
	f := p.newFile("")
	f.Comment("TestPackage checks the registration and every block on every instruction set")
	f.Comment("this CPU runs against se's generic kernels (setest.Package).")
	f.Func().Id("TestPackage").Params(jen.Id("t").Op("*").Qual("testing", "T")).Block(
		jen.Qual(setestPath, "Package").Call(jen.Id("t"), jen.Op("&").Id("pkg")),
	)
	for _, op := range se.Ops() {
		f.Func().Id("Benchmark" + string(op)).Params(jen.Id("b").Op("*").Qual("testing", "B")).Block(
			jen.Qual(setestPath, "BenchmarkPackage").Call(jen.Id("b"), jen.Op("&").Id("pkg"), jen.Qual(sePath, string(op))),
		)
	}
	return f
}
