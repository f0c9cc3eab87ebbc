// Package planpool keeps a model's idle plans — the buffers of a forward
// pass, sized for one input shape — so that after the first pass of a
// shape the next ones allocate nothing. runtime/resnet keys its plans by
// (batch, height, width), runtime/inception by batch size.
package planpool

import "sync"

// The pool's bounds: idle plans kept per key, and keys in all. A program
// that cycles through more shapes than maxKeys starts over with an empty
// pool rather than keeping every shape's buffers alive.
const (
	maxIdlePerKey = 4
	maxKeys       = 8
)

// Pool holds idle plans of type P by key. The zero value is an empty pool;
// it is safe for concurrent use.
type Pool[K comparable, P any] struct {
	mu   sync.Mutex
	idle map[K][]P
}

// Get takes an idle plan for key out of the pool; ok is false when there
// is none, and the caller then makes one.
func (p *Pool[K, P]) Get(key K) (plan P, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps := p.idle[key]
	if len(ps) == 0 {
		return plan, false
	}
	plan = ps[len(ps)-1]
	p.idle[key] = ps[:len(ps)-1]
	return plan, true
}

// Put gives plan, made for key, back to the pool, which keeps it unless it
// already holds enough for key.
func (p *Pool[K, P]) Put(key K, plan P) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle == nil || (len(p.idle) >= maxKeys && p.idle[key] == nil) {
		p.idle = make(map[K][]P)
	}
	if len(p.idle[key]) < maxIdlePerKey {
		p.idle[key] = append(p.idle[key], plan)
	}
}
