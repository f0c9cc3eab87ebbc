package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/segen/segen/internal/membw"
	"github.com/segen/segen/se"
	"github.com/segen/segen/se/random"
)

// measurement is the timing of one op of one block on one implementation.
type measurement struct {
	block      benchBlock
	op         se.Op
	impl       string // benchImpl name
	isa        string // instruction set the kernel ran
	run        int    // 1…count
	iterations int    // calls per chunk
	chunks     []time.Duration
	ns         float64 // ns per call: the median chunk
	bytes      int64   // se.BytesPerOp: bytes read and written per call
	workingSet int64   // distinct bytes touched per call
	bwKind     string  // "read" or "copy": which reference loop applies
	bwLevel    string  // the cache level the working set fits: "L1", "L2", …
	bw         float64 // GB/s of the reference loop over workingSet bytes, timed in the same turns
	speedup    float64 // baseline ns/op over this ns/op in the same run; 0 if there is no baseline
}

func (m *measurement) nsPerOp() float64 { return m.ns }

// gbPerS is bytes per nanosecond, which is GB/s.
func (m *measurement) gbPerS() float64 { return float64(m.bytes) / m.nsPerOp() }

// bwGBPerS is the bandwidth figure the op is compared with.
func (m *measurement) bwGBPerS() float64 { return m.bw }

func (m *measurement) pctOfBW() float64 { return 100 * m.gbPerS() / m.bwGBPerS() }

// chunks is how many timed loops a measurement is the median of. The
// implementations take turns, chunk by chunk, so a burst of load from the
// other tenants of this shared machine hits one chunk of each rather than
// all of one, and the median leaves it out.
const chunks = 5

// runBench measures every block × op × implementation cfg.count times.
func runBench(cfg *benchConfig, prog *progress) []*measurement {
	runtime.LockOSThread() // one OS thread throughout: no hand-offs between threads mid-loop
	defer runtime.UnlockOSThread()
	prog.total = len(cfg.blocks) * len(cfg.ops) * cfg.count
	var out []*measurement
	for _, b := range cfg.blocks {
		data := newBenchData(b.kernel.Shape())
		impls := blockImpls(b)
		names := make([]string, len(impls))
		for i, im := range impls {
			names[i] = im.name
		}
		runtime.GC() // start each block with no garbage from the previous one
		for _, op := range cfg.ops {
			ref := referenceLoop(workingSet(b.kernel.Shape(), op), bwKind(op))
			iters := make([]int, len(impls)+1) // calibrated in run 1, reused after; the last is the reference loop's
			for run := 1; run <= cfg.count; run++ {
				prog.step(fmt.Sprintf("%s %s: %s", b.name, op, strings.Join(names, ", ")))
				ms := measureOp(b, op, impls, ref, data, cfg.target/chunks, iters)
				for _, m := range ms {
					m.run = run
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
func measureOp(b benchBlock, op se.Op, impls []implKernel, ref func(int), data *benchData, chunk time.Duration, iters []int) []*measurement {
	s := b.kernel.Shape()
	ws, kind := workingSet(s, op), bwKind(op)
	runs := make([]func(int), len(impls)+1)
	for i, im := range impls {
		runs[i] = data.runner(im.k, op)
	}
	runs[len(impls)] = ref
	for i, run := range runs {
		if iters[i] == 0 {
			iters[i] = calibrate(run, chunk)
		}
	}
	times := make([][]time.Duration, len(runs))
	for range chunks {
		for i, run := range runs {
			times[i] = append(times[i], timeLoop(run, iters[i]))
		}
	}
	median := func(i int) float64 { // ns per call
		sorted := slices.Clone(times[i])
		slices.Sort(sorted)
		return float64(sorted[len(sorted)/2].Nanoseconds()) / float64(iters[i])
	}
	refGBPerS := float64(ws) / median(len(impls))
	ms := make([]*measurement, len(impls))
	for i, im := range impls {
		ms[i] = &measurement{
			block:      b,
			op:         op,
			impl:       im.name,
			isa:        kernelISA(im.k),
			iterations: iters[i],
			chunks:     times[i],
			ns:         median(i),
			bytes:      se.BytesPerOp(s, op, 1),
			workingSet: ws,
			bwKind:     kind,
			bw:         refGBPerS,
		}
	}
	return ms
}

// bwKind names the reference loop an op is compared with: Squeeze and
// Excite read their working set (they write only C values), the others read
// and write theirs.
func bwKind(op se.Op) string {
	if op == se.Squeeze || op == se.Excite {
		return "read"
	}
	return "copy"
}

// referenceLoop returns a function that streams ws bytes n times the way an
// op of that kind would at best: membw.Sum over all of them (read), or
// membw.Copy of one half onto the other (copy). Timed in the same turns as
// the kernels and over the very same number of bytes, it is the bandwidth
// the op's working set gets on this machine right now: a figure measured at
// another size would not do, as an AMD Zen 5 core streams a 98 KiB working
// set from L2 at three quarters of the rate of a 512 KiB one.
func referenceLoop(ws int64, kind string) func(n int) {
	buf := make([]float32, ws/4)
	for i := range buf {
		buf[i] = 1 // order-1 values: denormals would slow the sum down
	}
	if kind == "read" {
		return func(n int) {
			for range n {
				membw.Sum(buf)
			}
		}
	}
	src, dst := buf[:len(buf)/2], buf[len(buf)/2:]
	return func(n int) {
		for range n {
			membw.Copy(dst, src)
		}
	}
}

// calibrate returns an iteration count whose loop lasts at least target, as
// go test finds b.N; the first call warms up caches, page faults of dst and
// lazily built tables.
func calibrate(run func(n int), target time.Duration) int {
	run(1)
	n := 1
	for {
		t := timeLoop(run, n)
		if t >= target || n >= 1e9 {
			return n
		}
		n = nextIters(n, t, target)
	}
}

// implKernel is an implementation's kernel for one block.
type implKernel struct {
	name string
	k    se.Kernel
}

// blockImpls returns the implementations available for block b.
func blockImpls(b benchBlock) []implKernel {
	var out []implKernel
	for _, im := range benchImpls {
		if k := im.kernel(b.kernel); k != nil {
			out = append(out, implKernel{im.name, k})
		}
	}
	return out
}

// setSpeedups sets each measurement's speedup over the baseline among ms.
func setSpeedups(ms []*measurement) {
	for _, base := range ms {
		if base.impl != baselineImpl {
			continue
		}
		for _, m := range ms {
			m.speedup = base.nsPerOp() / m.nsPerOp()
		}
	}
}

func timeLoop(run func(n int), n int) time.Duration {
	start := time.Now()
	run(n)
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

// workingSet is the number of distinct bytes one call touches, which decides
// the cache level it runs from. It is BytesPerOp except for the Forward ops,
// which read x twice (squeeze, then scale) but hold it in cache once.
func workingSet(s se.Shape, op se.Op) int64 {
	ws := se.BytesPerOp(s, op, 1)
	if op == se.Forward || op == se.ForwardAddReLU {
		ws -= 4 * int64(s.Size())
	}
	return ws
}

// kernelISA names the instruction set k runs: specialised kernels report it
// as their Impl, generic-simd through an ISA method, generic is plain Go.
func kernelISA(k se.Kernel) string {
	if i, ok := k.(interface{ ISA() string }); ok {
		return i.ISA()
	}
	if k.Impl() == "generic" {
		return "go"
	}
	return k.Impl()
}

// benchData holds one block's inputs and outputs, shared by every
// implementation so they run on the same data. Values are of order one, as
// in a network with sensible weights: denormals would slow every kernel down
// 10–100× and measure the CPU's microcode instead.
type benchData struct {
	x, res, dst []float32 // one sample's activations
	z, gates    []float32 // Excite's input, Scale's gates in (0, 1)
	out         []float32 // Squeeze's and Excite's C outputs
	p           *se.Params
}

func newBenchData(s se.Shape) *benchData {
	d := &benchData{
		p:     random.Params(s, 1),
		x:     random.Data(s.Size(), 2),
		res:   random.Data(s.Size(), 3),
		z:     random.Data(s.C, 4),
		gates: random.Gates(s.C, 5),
		dst:   make([]float32, s.Size()),
		out:   make([]float32, s.C),
	}
	return d
}

// runner returns a function that calls op on k n times. The loop sits inside
// each case, so nothing but the kernel call is timed and nothing allocates.
func (d *benchData) runner(k se.Kernel, op se.Op) func(n int) {
	switch op {
	case se.Squeeze:
		return func(n int) {
			for range n {
				k.Squeeze(d.out, d.x)
			}
		}
	case se.Excite:
		return func(n int) {
			for range n {
				k.Excite(d.out, d.z, d.p)
			}
		}
	case se.Scale:
		return func(n int) {
			for range n {
				k.Scale(d.dst, d.x, d.gates)
			}
		}
	case se.ScaleAddReLU:
		return func(n int) {
			for range n {
				k.ScaleAddReLU(d.dst, d.x, d.gates, d.res)
			}
		}
	case se.Forward:
		return func(n int) {
			for range n {
				k.Forward(d.dst, d.x, d.p)
			}
		}
	case se.ForwardAddReLU:
		return func(n int) {
			for range n {
				k.ForwardAddReLU(d.dst, d.x, d.res, d.p)
			}
		}
	}
	panic(fmt.Sprintf("segen bench: unknown op %q", op))
}
