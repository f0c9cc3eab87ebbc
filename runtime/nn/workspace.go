package nn

import "runtime"

// Workspace carries what one forward pass needs besides its activations:
// the number of goroutines layers may use and one packing buffer per
// goroutine. A Workspace is not safe for concurrent use; give each
// concurrent forward pass its own.
type Workspace struct {
	threads int
	team    *team
	scratch []scratch // per worker
	partial []float32 // per row block column sums, see Epilogue.Sums

	// The arguments of the layer call in progress. They live here rather
	// than in a closure so a forward pass allocates nothing: a closure
	// handed to goroutines escapes to the heap on every call.
	conv   convJob
	pool   poolJob
	gconv  gconvJob
	wino   winogradJob
	direct directJob
	pad    padJob
	packA  packAJob

	winoV, winoM []float32 // a Winograd convolution's slot matrices
	padded       []float32 // a direct convolution's zero-padded input
	sharedA      []float32 // A packed once for every column block, see packAJob
}

// A Job is work split into numbered tasks that may run in parallel.
type Job interface {
	// Run performs task on behalf of worker, a number in [0, threads)
	// that tells which per-worker scratch the task may use.
	Run(worker, task int)
}

// NewWorkspace returns a workspace for threads goroutines; threads ≤ 0 means
// runtime.GOMAXPROCS(0).
func NewWorkspace(threads int) *Workspace {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &Workspace{threads: threads, team: newTeam(threads), scratch: make([]scratch, threads)}
}

// scratch is one worker's buffers for the GEMM.
type scratch struct {
	pack  []float32 // a block of A: mc×kc values; a grouped convolution's input patch
	tile  []float32 // an edge tile: mr×nr values
	offs  []int     // a grouped convolution's window offsets of a band
	patch []float32 // a Winograd input tile over the image's edge: T×T×InC values
}

// reserve makes every worker's pack and tile buffers hold at least pack
// and tile values. Buffers grow on the first layers of the first forward
// pass and are reused after that.
func (ws *Workspace) reserve(pack, tile int) {
	for i := range ws.scratch {
		s := &ws.scratch[i]
		s.pack, s.tile = grow(s.pack, pack), grow(s.tile, tile)
	}
}

// Threads returns the number of goroutines layers run on.
func (ws *Workspace) Threads() int { return ws.threads }

// Parallel runs j.Run(worker, task) for every task in [0, tasks), spreading
// tasks over min(threads, tasks) workers that take them in order from a
// shared counter, and returns when all are done. The calling goroutine is
// worker 0, so a one-thread workspace runs everything inline; the others
// are the workspace's team of helpers (team.go).
func (ws *Workspace) Parallel(tasks int, j Job) { ws.team.run(tasks, j) }

// grow returns buf if it holds n values, else a new slice of n.
func grow(buf []float32, n int) []float32 {
	if len(buf) >= n {
		return buf
	}
	return make([]float32, n)
}
