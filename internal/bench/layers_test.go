package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/segen/segen/runtime/resnet"
)

// TestProfileLayers profiles a small ResNet-18 and checks the classes add
// up: FLOPs counted once per pass (not once per timed pass), the total the
// sum of the classes, and a network without Plans left out.
func TestProfileLayers(t *testing.T) {
	m, err := resnet.NewRandom("resnet18", 10, 1, resnet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	nets := append(fakeNets(&log, nil, "bn_inception"), Net{"resnet18", func(threads int) Network {
		return m.WithOptions(resnet.Options{Threads: threads})
	}})
	profiles, err := profileLayers(nets, 1, 32, 3, []int{1, 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) != 2 || len(log) != 0 {
		t.Fatalf("%d profiles, %d passes of the fake: want resnet18's alone, on 1 and 2 threads", len(profiles), len(log))
	}
	if two := profiles[1]; two.Threads != 2 || two.CPUClock || len(two.Classes) != len(profiles[0].Classes) {
		t.Errorf("the two-thread profile: %d threads, CPU clock %v, %d classes; want 2, the wall clock, %d",
			two.Threads, two.CPUClock, len(two.Classes), len(profiles[0].Classes))
	}
	lp := profiles[0]
	if lp.Arch != "resnet18" || lp.Batch != 1 || lp.Threads != 1 || lp.CPUClock != (threadClock() != nil) {
		t.Errorf("profile %+v", lp)
	}
	first, last := lp.Classes[0], lp.Classes[len(lp.Classes)-1]
	if first.Class != "stem 7×7/2" || first.Layers != 1 || last.Class != "avgpool+fc" {
		t.Errorf("classes run from %+v to %+v, want the stem to the classifier", first, last)
	}
	// The stem: 64 filters of 3×7×7 over a 16×16 output, two FLOPs per multiply-add.
	if want := float64(2 * 16 * 16 * 64 * 3 * 7 * 7); first.FLOPs != want {
		t.Errorf("stem FLOPs %v, want %v", first.FLOPs, want)
	}
	var total time.Duration
	var flops float64
	for _, c := range lp.Classes {
		total += c.Time
		flops += c.FLOPs
	}
	if lp.Total != total || lp.TotalFLOPs != flops || total <= 0 {
		t.Errorf("total %v and %v FLOPs, but the classes add up to %v and %v", lp.Total, lp.TotalFLOPs, total, flops)
	}
}

func TestWriteLayerProfiles(t *testing.T) {
	var out bytes.Buffer
	writeLayerProfiles(&out, []LayerProfile{{Arch: "resnet18", Batch: 1, Threads: 1, CPUClock: true,
		Classes: []LayerClass{
			{Class: "stem 7×7/2", Layers: 1, FLOPs: 3e8, Time: 3 * time.Millisecond},
			{Class: "maxpool", Layers: 1, Time: time.Millisecond},
		},
		Total: 4 * time.Millisecond, TotalFLOPs: 3e8}}, 200)
	writeLayerProfiles(&out, []LayerProfile{{Arch: "resnet18", Batch: 1, Threads: 2,
		Classes: []LayerClass{
			{Class: "stem 7×7/2", Layers: 1, FLOPs: 3e8, Time: 2 * time.Millisecond},
			{Class: "maxpool", Layers: 1, Time: time.Millisecond},
		},
		Total: 3 * time.Millisecond, TotalFLOPs: 3e8}, {Arch: "resnet18", Batch: 1, Threads: 1,
		Classes: []LayerClass{
			{Class: "stem 7×7/2", Layers: 1, FLOPs: 3e8, Time: 3 * time.Millisecond},
			{Class: "maxpool", Layers: 1, Time: time.Millisecond},
		},
		Total: 4 * time.Millisecond, TotalFLOPs: 3e8}}, 200)
	for _, want := range []string{
		"Layers of resnet18, batch 1, 2 threads (wall clock, medians of the passes; sum 3.00 ms, 100.0 GFLOP/s overall;\nFMA peak 200.0 GFLOP/s a core, ×2 for % peak;",
		"  stem 7×7/2                1    0.300      2.00   66.7%     150.0     38%     1.50×\n",
		"  maxpool                   1    0.000      1.00   33.3%         -       -     1.00×\n",
		"  total                                     3.00                               1.33×\n",
		"Layers of resnet18, batch 1, 1 thread (thread CPU time, medians of the passes; sum 4.00 ms, 75.0 GFLOP/s overall;\nFMA peak 200.0 GFLOP/s;",
		"  stem 7×7/2                1    0.300      3.00   75.0%     100.0     50%\n",
		"  maxpool                   1    0.000      1.00   25.0%         -       -\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("profile lacks %q:\n%s", want, out.String())
		}
	}
}
