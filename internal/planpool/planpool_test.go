package planpool

import (
	"sync"
	"testing"
)

func TestGetPut(t *testing.T) {
	var p Pool[int, *int]
	if _, ok := p.Get(1); ok {
		t.Fatal("an empty pool gave a plan")
	}
	a, b := new(int), new(int)
	p.Put(1, a)
	p.Put(1, b)
	if _, ok := p.Get(2); ok {
		t.Error("Get(2) gave a plan made for key 1")
	}
	if got, ok := p.Get(1); !ok || got != b {
		t.Errorf("Get(1) = %p, %v; want the last plan put, %p", got, ok, b)
	}
	if got, ok := p.Get(1); !ok || got != a {
		t.Errorf("Get(1) = %p, %v; want %p", got, ok, a)
	}
	if _, ok := p.Get(1); ok {
		t.Error("Get(1) gave a plan twice")
	}
}

// TestBounds checks that the pool keeps at most maxIdlePerKey plans per key
// and starts over when a new key would exceed maxKeys.
func TestBounds(t *testing.T) {
	var p Pool[int, int]
	for i := range maxIdlePerKey + 2 {
		p.Put(0, i)
	}
	n := 0
	for _, ok := p.Get(0); ok; _, ok = p.Get(0) {
		n++
	}
	if n != maxIdlePerKey {
		t.Errorf("kept %d plans for one key, want %d", n, maxIdlePerKey)
	}
	for k := range maxKeys {
		p.Put(k, k)
	}
	p.Put(0, 0) // a key the pool holds: nothing is dropped
	if got, ok := p.Get(maxKeys - 1); !ok || got != maxKeys-1 {
		t.Fatalf("Get(%d) = %d, %v with %d keys", maxKeys-1, got, ok, maxKeys)
	}
	p.Put(maxKeys, maxKeys) // one key too many: the pool starts over
	if _, ok := p.Get(0); ok {
		t.Error("the pool kept key 0 past its bound of keys")
	}
	if got, ok := p.Get(maxKeys); !ok || got != maxKeys {
		t.Errorf("Get(%d) = %d, %v: the new key's plan was not kept", maxKeys, got, ok)
	}
}

// TestConcurrent has goroutines take and give back plans of a few keys;
// under the race detector it checks the locking, and every plan taken must
// be one made for its key.
func TestConcurrent(t *testing.T) {
	var p Pool[int, [2]int]
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				key := (g + i) % 3
				plan, ok := p.Get(key)
				if !ok {
					plan = [2]int{key, g}
				}
				if plan[0] != key {
					t.Errorf("Get(%d) gave a plan made for %d", key, plan[0])
				}
				p.Put(key, plan)
			}
		})
	}
	wg.Wait()
}
