package bench

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segen/segen/se"
)

// TestMeasureBlocks measures a small block on two ops, twice, with loops of
// a fraction of a millisecond, and checks every record against the others:
// the implementations of an op take the same turns and share one reference
// figure, ns/op is the median loop, speedups are against generic's ns/op.
func TestMeasureBlocks(t *testing.T) {
	b := block(t, "basic4_nchw")
	var progress bytes.Buffer
	o := KernelOptions{Blocks: []Block{b}, Ops: []se.Op{se.Squeeze, se.Forward}, Count: 2, Target: time.Millisecond}
	recs := measureBlocks(o, NewProgress(&progress))

	impls := blockImpls(b)
	if want := len(impls) * len(o.Ops) * o.Count; len(recs) != want {
		t.Fatalf("%d records, want %d implementations × 2 ops × 2 runs", len(recs), want)
	}
	s := b.Kernel.Shape()
	for i, m := range recs {
		// In measuring order: op, then run, then implementation.
		op, run, im := o.Ops[i/(2*len(impls))], 1+i/len(impls)%2, impls[i%len(impls)]
		if m.Op != op || m.Run != run || m.Impl != im.name || m.Block.Name != b.Name {
			t.Errorf("record %d is %s/%s run %d, want %s/%s run %d", i, m.Op, m.Impl, m.Run, op, im.name, run)
		}
		if m.Iterations < 1 || len(m.Chunks) != chunks || m.ISA != kernelISA(im.k) {
			t.Errorf("%s/%s: %d iterations, %d loops, ISA %q", m.Op, m.Impl, m.Iterations, len(m.Chunks), m.ISA)
		}
		if sorted := slices.Sorted(slices.Values(m.ChunkNs())); m.NsPerOp != sorted[chunks/2] {
			t.Errorf("%s/%s: ns/op %v is not the median of its loops %v", m.Op, m.Impl, m.NsPerOp, m.ChunkNs())
		}
		if m.Bytes != se.BytesPerOp(s, op, 1) || m.WorkingSet != workingSet(s, op) || m.BWKind != bwKind(op) {
			t.Errorf("%s/%s: bytes %d, working set %d, kind %s", m.Op, m.Impl, m.Bytes, m.WorkingSet, m.BWKind)
		}
		turn := recs[i-i%len(impls) : i-i%len(impls)+len(impls)] // the implementations of this op and run
		if m.BWGBPerS <= 0 || m.BWGBPerS != turn[0].BWGBPerS {
			t.Errorf("%s/%s: reference %v GB/s, but %v for %s in the same turns", m.Op, m.Impl, m.BWGBPerS, turn[0].BWGBPerS, turn[0].Impl)
		}
		base := turn[len(turn)-1]
		if base.Impl != baseline || m.Speedup != base.NsPerOp/m.NsPerOp {
			t.Errorf("%s/%s: speedup %v, want %s's ns/op %v over %v", m.Op, m.Impl, m.Speedup, base.Impl, base.NsPerOp, m.NsPerOp)
		}
	}
	if want := "[4/4] basic4_nchw Forward: " + strings.Join(implNames(impls), ", ") + "…\n"; !strings.HasSuffix(progress.String(), want) {
		t.Errorf("progress ends %q, want %q", progress.String(), want)
	}
}

func implNames(ims []implKernel) []string {
	var names []string
	for _, im := range ims {
		names = append(names, im.name)
	}
	return names
}

// TestBlockImpls checks the rows of a block whatever the ISA: the
// registered kernel first, generic last, and a "specialised-<isa>" row only
// for an instruction set other than the registered kernel's.
func TestBlockImpls(t *testing.T) {
	b := block(t, "bottleneck1_nhwc")
	ims := blockImpls(b)
	names := implNames(ims)
	if names[0] != "specialised" || ims[0].k != b.Kernel || names[len(names)-1] != baseline || ims[len(ims)-1].k.Impl() != "generic" {
		t.Fatalf("implementations %v: want specialised (the registered kernel) first and generic last", names)
	}
	for _, im := range ims[1 : len(ims)-1] {
		if i, ok := strings.CutPrefix(im.name, "specialised-"); ok && (kernelISA(im.k) != i || i == b.Kernel.Impl()) {
			t.Errorf("%s runs %s; the registered kernel runs %s", im.name, kernelISA(im.k), b.Kernel.Impl())
		}
	}
	if slices.Contains(names, "generic-simd") && kernelISA(ims[slices.Index(names, "generic-simd")].k) == "go" {
		t.Error("generic-simd runs plain Go: it should have been left out")
	}
}

func TestNextIters(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		n       int
		t, goal time.Duration
		want    int
	}{
		{1, 0, 10 * ms, 100},         // too fast to see: grow 100-fold
		{10, ms, 10 * ms, 120},       // 10 calls took a tenth: 100, and 20 % to spare
		{10, 20 * ms, 10 * ms, 11},   // already too long: still grow by one
		{1, ms / 1000, 10 * ms, 100}, // capped at 100-fold
	} {
		if got := nextIters(c.n, c.t, c.goal); got != c.want {
			t.Errorf("nextIters(%d, %v, %v) = %d, want %d", c.n, c.t, c.goal, got, c.want)
		}
	}
}

// TestWorkingSet checks that only the Forward ops count x once fewer than
// their traffic: they read it twice but hold it once.
func TestWorkingSet(t *testing.T) {
	s := block(t, "basic1_nchw").Kernel.Shape()
	for _, op := range se.Ops() {
		want := se.BytesPerOp(s, op, 1)
		if op == se.Forward || op == se.ForwardAddReLU {
			want -= 4 * int64(s.Size())
		}
		if got := workingSet(s, op); got != want {
			t.Errorf("workingSet(%s) = %d, want %d", op, got, want)
		}
	}
}
