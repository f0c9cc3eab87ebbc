package nn

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// countJob records which worker ran each task and fails on a worker
// running two tasks at once (a worker owns its scratch).
type countJob struct {
	t       *testing.T
	ran     []atomic.Int32 // per task: times run
	busy    []atomic.Bool  // per worker
	threads int
}

func (j *countJob) Run(worker, task int) {
	if worker < 0 || worker >= j.threads {
		j.t.Errorf("task %d on worker %d of %d", task, worker, j.threads)
		return
	}
	if !j.busy[worker].CompareAndSwap(false, true) {
		j.t.Errorf("worker %d runs two tasks at once", worker)
	}
	j.ran[task].Add(1)
	for range task % 7 * 50 { // uneven tasks
		runtime.Gosched()
	}
	j.busy[worker].Store(false)
}

// TestParallel runs jobs back to back, as a forward pass does, with more,
// as many and fewer tasks than threads, and checks that every task ran once
// on a valid worker, also when the helpers have exited between jobs and
// when the workspace has more threads than GOMAXPROCS.
func TestParallel(t *testing.T) {
	for _, procs := range []int{runtime.GOMAXPROCS(0), 1} {
		for _, threads := range []int{1, 2, 3, 8} {
			t.Run(fmt.Sprintf("procs%d/threads%d", procs, threads), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				ws := NewWorkspace(threads)
				for round, tasks := range []int{0, 1, 2, 3, 5, 64, 1, 200, 7, 2} {
					if round == 5 {
						time.Sleep(2 * spinTime) // let the helpers exit
					}
					j := &countJob{t: t, ran: make([]atomic.Int32, tasks), busy: make([]atomic.Bool, threads), threads: threads}
					ws.Parallel(tasks, j)
					for i := range j.ran {
						if n := j.ran[i].Load(); n != 1 {
							t.Fatalf("job %d of %d tasks: task %d ran %d times", round, tasks, i, n)
						}
					}
				}
			})
		}
	}
}

// TestTeamExits checks that the helpers of a workspace left alone exit: an
// idle model holds no goroutines.
func TestTeamExits(t *testing.T) {
	before := runtime.NumGoroutine()
	ws := NewWorkspace(4)
	j := &countJob{t: t, ran: make([]atomic.Int32, 100), busy: make([]atomic.Bool, 4), threads: 4}
	ws.Parallel(100, j)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 5 s after the last job, %d before the workspace", runtime.NumGoroutine(), before)
		}
		time.Sleep(spinTime)
	}
}
