package bench

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/segen/segen/se"
	"github.com/segen/segen/se/random"
)

// Measurement is the timing of one op of one block on one implementation in
// one run.
type Measurement struct {
	Block      Block
	Op         se.Op
	Impl       string          // the implementation: "specialised", "generic", …
	ISA        string          // the instruction set its kernel ran
	Run        int             // 1…Count
	Iterations int             // calls per timed loop
	Chunks     []time.Duration // each timed loop, in the order they ran
	NsPerOp    float64         // ns per call: the median loop's
	Bytes      int64           // se.BytesPerOp: bytes read and written per call
	WorkingSet int64           // distinct bytes touched per call
	BWKind     string          // "read" or "copy": which reference loop applies
	BWLevel    string          // the cache level the working set fits: "L1", "L2", …
	BWGBPerS   float64         // the reference loop over WorkingSet bytes, timed in the same turns
	Speedup    float64         // the baseline's ns/op over this one in the same run; 0 without a baseline
}

// GBPerS is bytes per nanosecond, which is GB/s.
func (m *Measurement) GBPerS() float64 { return float64(m.Bytes) / m.NsPerOp }

// PctOfBW is the op's GB/s as a percentage of its reference loop's.
func (m *Measurement) PctOfBW() float64 { return 100 * m.GBPerS() / m.BWGBPerS }

// ChunkNs returns the ns per call of each timed loop, in the order they ran.
func (m *Measurement) ChunkNs() []float64 {
	ns := make([]float64, len(m.Chunks))
	for i, t := range m.Chunks {
		ns[i] = float64(t.Nanoseconds()) / float64(m.Iterations)
	}
	return ns
}

// chunks is how many timed loops a measurement is the median of. The
// implementations take turns, loop by loop, so a burst of load from the
// other tenants of a shared machine hits one loop of each rather than all
// of one, and the median leaves it out.
const chunks = 5

// measureBlocks measures every block × op × implementation o.Count times.
func measureBlocks(o KernelOptions, prog *Progress) []*Measurement {
	runtime.LockOSThread() // one OS thread throughout: no hand-offs between threads mid-loop
	defer runtime.UnlockOSThread()
	prog.expect(len(o.Blocks) * len(o.Ops) * o.Count)
	var out []*Measurement
	for _, b := range o.Blocks {
		in := random.NewInputs(b.Kernel.Shape())
		impls := blockImpls(b)
		names := make([]string, len(impls))
		for i, im := range impls {
			names[i] = im.name
		}
		runtime.GC() // start each block with no garbage from the previous one
		for _, op := range o.Ops {
			ref := referenceLoop(workingSet(b.Kernel.Shape(), op), bwKind(op))
			iters := make([]int, len(impls)+1) // calibrated in run 1, reused after; the last is the reference loop's
			for run := 1; run <= o.Count; run++ {
				prog.Step(fmt.Sprintf("%s %s: %s", b.Name, op, strings.Join(names, ", ")))
				ms := measureOp(b, op, impls, ref, in, o.Target/chunks, iters)
				for _, m := range ms {
					m.Run = run
				}
				setSpeedups(ms)
				out = append(out, ms...)
			}
		}
	}
	return out
}

// measureOp times op of block b on each implementation, and ref, the
// reference loop over the op's working set: chunks loops of iters[i] calls
// each (found first if 0, so that a loop lasts chunk), taking turns.
func measureOp(b Block, op se.Op, impls []implKernel, ref func(int), in *random.Inputs, chunk time.Duration, iters []int) []*Measurement {
	s := b.Kernel.Shape()
	ws, kind := workingSet(s, op), bwKind(op)
	loops := make([]func(int), len(impls)+1)
	for i, im := range impls {
		loops[i] = in.Loop(im.k, op)
	}
	loops[len(impls)] = ref
	for i, loop := range loops {
		if iters[i] == 0 {
			iters[i] = calibrate(loop, chunk)
		}
	}
	times := make([][]time.Duration, len(loops))
	for range chunks {
		for i, loop := range loops {
			times[i] = append(times[i], timeLoop(loop, iters[i]))
		}
	}
	nsPerCall := func(i int) float64 { return float64(middle(times[i]).Nanoseconds()) / float64(iters[i]) }
	refGBPerS := float64(ws) / nsPerCall(len(impls))
	ms := make([]*Measurement, len(impls))
	for i, im := range impls {
		ms[i] = &Measurement{
			Block:      b,
			Op:         op,
			Impl:       im.name,
			ISA:        kernelISA(im.k),
			Iterations: iters[i],
			Chunks:     times[i],
			NsPerOp:    nsPerCall(i),
			Bytes:      se.BytesPerOp(s, op, 1),
			WorkingSet: ws,
			BWKind:     kind,
			BWGBPerS:   refGBPerS,
		}
	}
	return ms
}

// calibrate returns an iteration count whose loop lasts at least target, as
// go test finds b.N; the first call warms up caches, page faults of the
// outputs and lazily built tables.
func calibrate(loop func(n int), target time.Duration) int {
	loop(1)
	n := 1
	for {
		t := timeLoop(loop, n)
		if t >= target || n >= 1e9 {
			return n
		}
		n = nextIters(n, t, target)
	}
}

func timeLoop(loop func(n int), n int) time.Duration {
	start := time.Now()
	loop(n)
	return time.Since(start)
}

// nextIters predicts the iteration count that lasts target after n took t,
// with 20 % to spare, growing at least by one and at most 100-fold.
func nextIters(n int, t, target time.Duration) int {
	next := 100 * n
	if t > 0 {
		next = int(1.2 * float64(n) * float64(target) / float64(t))
	}
	return max(n+1, min(next, 100*n))
}

// setSpeedups sets each measurement's speedup over the baseline among ms.
func setSpeedups(ms []*Measurement) {
	for _, base := range ms {
		if base.Impl != baseline {
			continue
		}
		for _, m := range ms {
			m.Speedup = base.NsPerOp / m.NsPerOp
		}
	}
}

// middle returns the median of an odd number of durations, the upper of the
// two middle ones of an even number, without reordering d.
func middle(d []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(d))
	return s[len(s)/2]
}
