package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/nn"
	"github.com/segen/segen/runtime/tensor"
)

// fake is a network that logs each pass: its name, thread count and input
// shape. Its passes fail with err when set.
type fake struct {
	name    string
	threads int
	log     *[]string
	err     error
}

func (f *fake) Forward(x *tensor.Tensor) (*tensor.Tensor, error) {
	*f.log = append(*f.log, fmt.Sprintf("%s/%d %v", f.name, f.threads, x.Shape))
	return nil, f.err
}

func fakeNets(log *[]string, err error, names ...string) []Net {
	var nets []Net
	for _, name := range names {
		nets = append(nets, Net{name, func(threads int) Network { return &fake{name, threads, log, err} }})
	}
	return nets
}

// TestTimeNetworks checks the order of the passes (one warm-up each, then
// the networks taking turns), the thread counts and inputs they run on, and
// one record per network × batch × thread count.
func TestTimeNetworks(t *testing.T) {
	var log []string
	o := NetOptions{Batches: []int{1, 2}, Threads: []int{1, 3}, Size: 8, Runs: 2}
	var progress bytes.Buffer
	recs, err := timeNetworks(fakeNets(&log, nil, "a", "b"), o, NewProgress(&progress))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, batch := range o.Batches {
		for _, threads := range o.Threads {
			for range warmup + o.Runs {
				for _, name := range []string{"a", "b"} {
					want = append(want, fmt.Sprintf("%s/%d [%d 3 8 8]", name, threads, batch))
				}
			}
		}
	}
	if !slices.Equal(log, want) {
		t.Errorf("passes:\n%q\nwant\n%q", log, want)
	}
	if len(recs) != 8 {
		t.Fatalf("%d records, want 2 networks × 2 batches × 2 thread counts", len(recs))
	}
	for i, r := range recs {
		arch, batch, threads := []string{"a", "b"}[i%2], o.Batches[i/4], o.Threads[i/2%2]
		if r.Arch != arch || r.Batch != batch || r.Threads != threads || r.Height != 8 || r.Width != 8 || r.ISA != nn.ISA() ||
			r.Runs != 2 || len(r.RunsMS) != 2 || r.MinMS != slices.Min(r.RunsMS) || r.MedianMS != (r.RunsMS[0]+r.RunsMS[1])/2 {
			t.Errorf("record %d: %+v, want %s, batch %d, %d threads, 2 runs", i, r, arch, batch, threads)
		}
	}
	if !strings.Contains(progress.String(), "batch 2, 3 thread(s): a, b…\n") {
		t.Errorf("progress lacks the last step:\n%s", progress.String())
	}

	broken := errors.New("broken")
	if _, err := timeNetworks(fakeNets(&log, broken, "a"), o, nil); err != broken {
		t.Errorf("a failing pass: error %v, want %v", err, broken)
	}
}

// Networks measures neither the FMA peak nor the GEMM unless asked.
func TestNetworksLatencyOnly(t *testing.T) {
	var log []string
	r, err := Networks(fakeNets(&log, nil, "a"), NetOptions{Batches: []int{1}, Threads: []int{1}, Size: 4, Runs: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Latency) != 1 || r.Peak != 0 || r.GEMM != nil || r.Grouped != nil || r.Layers != nil {
		t.Errorf("result %+v, want one latency record and nothing else", r)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.v); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

// TestWriteLatency checks the table and that each SE network is divided
// by its plain twin at the same batch and thread count, and only by it.
func TestWriteLatency(t *testing.T) {
	r := &NetResult{Latency: []Latency{
		{Arch: "seresnet18", Batch: 2, Height: 32, Width: 32, Threads: 1, MedianMS: 12, MinMS: 11},
		{Arch: "resnet18", Batch: 2, Height: 32, Width: 32, Threads: 1, MedianMS: 10, MinMS: 10},
		{Arch: "se_bn_inception", Batch: 1, Height: 224, Width: 224, Threads: 2, MedianMS: 40, MinMS: 30},
		{Arch: "bn_inception", Batch: 1, Height: 224, Width: 224, Threads: 1, MedianMS: 20, MinMS: 20},
	}}
	var out bytes.Buffer
	r.WriteReport(&out)
	for _, want := range []string{
		"arch            batch      size threads  median ms    min ms  images/s\n",
		"seresnet18          2     32×32       1      12.00     11.00     166.7\n",
		"SE overhead (SE network / plain network):\n  seresnet18 / resnet18, batch 2, 1 thread(s): median 1.200, min 1.100\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "se_bn_inception /") || strings.Contains(out.String(), "GEMM") {
		t.Errorf("report pairs networks at different thread counts, or shows a GEMM not measured:\n%s", out.String())
	}
	for arch, want := range map[string]string{"seresnext50_32x4d": "resnext50_32x4d", "se_bn_inception": "bn_inception", "seresnet50": "resnet50"} {
		if got := plainTwin(arch); got != want {
			t.Errorf("plainTwin(%s) = %s, want %s", arch, got, want)
		}
	}
}

// TestNetJSON checks that the JSON array reads back as the records.
func TestNetJSON(t *testing.T) {
	r := &NetResult{Latency: []Latency{{Arch: "resnet18", Batch: 1, Height: 64, Width: 64, Threads: 1, ISA: "avx2",
		MedianMS: 8, MinMS: 7.5, Runs: 3, RunsMS: []float64{8, 7.5, 9}}}}
	data, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back []Latency
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r.Latency) || !bytes.Contains(data, []byte(`"median_ms": 8,`)) {
		t.Errorf("JSON %s reads back as %+v", data, back)
	}
}
