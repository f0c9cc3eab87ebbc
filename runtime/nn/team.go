package nn

import (
	"runtime"
	"sync/atomic"
	"time"
)

// team runs a Job's tasks on the calling goroutine and up to threads-1
// helper goroutines that stay alive between jobs.
//
// A forward pass is a chain of about a hundred jobs of 0.02–2 ms each. A
// goroutine started per job (or parked on a channel between jobs) runs only
// after its thread is woken, which on a virtual machine costs tens of
// microseconds per job and sometimes far more: two threads then ran
// ResNet-50 at 1.3–1.5× the speed of one. So, as OpenMP's and ONNX
// Runtime's thread pools do, a helper that has finished a job spins,
// watching for the next one, and exits only after spinTime without work:
// nothing is left running after the last pass but a helper's short spin,
// and no Close is needed.
//
// The job in flight is published through gen: odd while a job is open,
// even when none is. A helper takes tasks only between announcing itself in
// active and seeing gen still at the job it read; the caller closes the
// job (gen even) and waits for active to drain before writing the next
// one, so a helper never reads a job being rewritten.
type team struct {
	threads int
	gen     atomic.Uint64 // odd: job, tasks and next hold an open job
	active  atomic.Int32  // helpers inside the open job
	next    atomic.Int64  // the next task to take
	done    atomic.Int64  // tasks finished
	job     Job
	tasks   int
	alive   []atomic.Bool // per helper (index worker-1): its goroutine runs

	sleeping atomic.Bool   // the caller sleeps in wait
	wake     chan struct{} // a helper's poke, for a sleeping caller
}

// spinTime is how long a helper watches for a job before it exits: longer
// than the serial stretches inside a forward pass (the excitation of an SE
// block at batch 1 takes up to about 0.1 ms), short enough that an idle
// model costs nothing measurable.
const spinTime = 2 * time.Millisecond

func newTeam(threads int) *team {
	return &team{threads: threads, alive: make([]atomic.Bool, max(threads-1, 0)), wake: make(chan struct{}, 1)}
}

// run runs j.Run(worker, task) for every task in [0, tasks) on
// min(threads, tasks) workers, the caller being worker 0, and returns when
// all are done.
func (t *team) run(tasks int, j Job) {
	workers := min(t.threads, tasks)
	if workers <= 1 {
		for i := range tasks {
			j.Run(0, i)
		}
		return
	}
	t.job, t.tasks = j, tasks
	t.next.Store(0)
	t.done.Store(0)
	gen := t.gen.Add(1) // open
	for w := 1; w < workers; w++ {
		if t.alive[w-1].CompareAndSwap(false, true) {
			go t.help(w, gen-2)
		}
	}
	t.take(0)
	t.wait(func() bool { return t.done.Load() == int64(tasks) })
	t.gen.Add(1) // closed
	t.wait(func() bool { return t.active.Load() == 0 })
	t.job = nil // drop the reference to the caller's job
}

// wait returns when cond holds, which helpers make true. It spins at first;
// after patientSpins it sleeps until a helper pokes it, so that a helper
// that has lost its core to another program can have the caller's.
func (t *team) wait(cond func() bool) {
	for spins := 0; spins < patientSpins; spins++ {
		if cond() {
			return
		}
		yield(spins)
	}
	for {
		t.sleeping.Store(true)
		if cond() {
			if !t.sleeping.CompareAndSwap(true, false) {
				<-t.wake // a helper's poke is on its way: take it
			}
			return
		}
		<-t.wake
	}
}

// poke wakes the caller if it sleeps in wait. Helpers poke after they made
// a wait's condition true; the caller checks cond after announcing that it
// sleeps, so a poke is never lost.
func (t *team) poke() {
	if t.sleeping.Load() && t.sleeping.CompareAndSwap(true, false) {
		t.wake <- struct{}{}
	}
}

// take runs tasks of the open job as worker until none is left.
func (t *team) take(worker int) {
	for {
		i := t.next.Add(1) - 1
		if i >= int64(t.tasks) {
			return
		}
		t.job.Run(worker, int(i))
		if t.done.Add(1) == int64(t.tasks) && worker != 0 {
			t.poke()
		}
	}
}

// help is helper worker's goroutine: it joins every job opened after seen
// until it has spun spinTime without one.
func (t *team) help(worker int, seen uint64) {
	alive := &t.alive[worker-1]
	idle := time.Now() // since the last job
	for spins := 0; ; spins++ {
		gen := t.gen.Load()
		if gen%2 == 1 && gen != seen {
			t.active.Add(1)
			if t.gen.Load() == gen {
				t.take(worker)
			}
			if t.active.Add(-1) == 0 {
				t.poke()
			}
			seen, spins, idle = gen, -1, time.Now()
			continue
		}
		if spins%64 == 63 && time.Since(idle) > spinTime {
			alive.Store(false)
			// A job opened just before the store may have counted on
			// this helper: take it on if no one was started.
			if g := t.gen.Load(); g%2 == 1 && g != seen && alive.CompareAndSwap(false, true) {
				continue
			}
			return
		}
		yield(spins)
	}
}

// yield lets other goroutines run every few spins, so a spinning worker
// never holds up one that shares its thread; after patientSpins it gives
// the core to other threads that want it (osYield), because a worker spun
// that long is idle while a program besides this one may be waiting.
func yield(spins int) {
	switch {
	case spins%16 != 15:
	case spins < patientSpins:
		runtime.Gosched()
	default:
		osYield()
	}
}

// patientSpins is how many rounds a spin loop waits before it starts giving
// up its core: some 50 µs, longer than most gaps between two jobs.
const patientSpins = 4096
