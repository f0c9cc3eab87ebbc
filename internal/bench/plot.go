package bench

import (
	"fmt"
	"image/color"
	"math"

	"github.com/segen/segen/internal/membw"
	"github.com/segen/segen/se"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SavePlot draws the throughput of op as grouped bars, one group per block
// and one bar per implementation, under a roofline: the measured bandwidth
// of each block's working set, the ceiling no kernel can pass. The
// specialised bars carry their speedup over the baseline. The extension of
// file chooses the format (.png, .svg, .pdf, …).
func (r *KernelResult) SavePlot(file string, op se.Op) error {
	var names []string
	var implNames []string
	gbs := map[string]plotter.Values{} // impl → GB/s per block
	roof := plotter.XYs{}              // staircase: the reference over each group
	var ticks []string                 // block names with the level of their working set
	var speedups plotter.XYLabels      // above the specialised bars
	ymax := 0.0
	for _, c := range r.cells() {
		if c.Op != op {
			continue
		}
		if len(names) == 0 || names[len(names)-1] != c.Block.Name {
			names = append(names, c.Block.Name)
			x, bw := float64(len(names)-1), c.BWGBPerS
			roof = append(roof, plotter.XY{X: x - 0.5, Y: bw}, plotter.XY{X: x + 0.5, Y: bw})
			ticks = append(ticks, fmt.Sprintf("%s (%s)", c.Block.Name, c.BWLevel))
			ymax = max(ymax, bw)
		}
		if _, ok := gbs[c.Impl]; !ok {
			implNames = append(implNames, c.Impl)
		}
		gbs[c.Impl] = append(gbs[c.Impl], c.GBPerS())
		ymax = max(ymax, c.GBPerS())
		if c.Impl == "specialised" && c.vsBaseline > 0 {
			speedups.XYs = append(speedups.XYs, plotter.XY{X: float64(len(names) - 1), Y: c.GBPerS()})
			speedups.Labels = append(speedups.Labels, fmt.Sprintf("%.1f×", c.vsBaseline))
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("-plot: no measurements of %s", op)
	}

	p := plot.New()
	p.Title.Text = fmt.Sprintf("segen bench: %s throughput per block, batch 1, one core (%s)", op, r.Machine.CPU)
	p.Title.Padding = vg.Points(8)
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.X.Label.Text = "block (cache level of the working set)"
	p.Y.Label.Text = "GB/s (bytes read + written per second)"
	p.Y.Min, p.Y.Max = 0, 1.25*ymax // headroom for the legend and labels
	p.Y.Tick.Marker = plot.DefaultTicks{}
	p.NominalX(ticks...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true

	const barWidth = 11 // points
	specialisedOffset := vg.Length(0)
	for i, impl := range implNames {
		bars, err := plotter.NewBarChart(gbs[impl], vg.Points(barWidth))
		if err != nil {
			return err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = vg.Points(barWidth * (float64(i) - float64(len(implNames)-1)/2))
		if impl == "specialised" {
			specialisedOffset = bars.Offset
		}
		p.Add(bars)
		p.Legend.Add(impl, bars)
	}

	line, err := plotter.NewLine(roof)
	if err != nil {
		return err
	}
	line.Color = color.RGBA{R: 200, A: 255}
	line.Width = vg.Points(2)
	line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	p.Add(line)
	kind := bwKind(op)
	if kind == "copy" {
		kind = "copy (read+write)"
	}
	p.Legend.Add(fmt.Sprintf("measured %s bandwidth over the same working set (%s loop)", kind, membw.ISA()), line)

	if len(speedups.Labels) > 0 {
		if err := addLabels(p, speedups, specialisedOffset, 2); err != nil {
			return err
		}
		p.Legend.Add(fmt.Sprintf("label: specialised speedup over %s", baseline))
	}

	w := vg.Length(max(8, 0.75*float64(len(names))+2)) * vg.Inch
	return p.Save(w, 6.5*vg.Inch, file)
}

// addLabels adds small labels centred just above the points of ls, shifted
// right by dx (a bar's offset within its group).
func addLabels(p *plot.Plot, ls plotter.XYLabels, dx vg.Length, dy float64) error {
	labels, err := plotter.NewLabels(ls)
	if err != nil {
		return err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign = text.XCenter
		labels.TextStyle[i].YAlign = text.YBottom
		labels.TextStyle[i].Font.Size = vg.Points(8)
	}
	labels.Offset = vg.Point{X: dx, Y: vg.Points(dy)}
	p.Add(labels)
	return nil
}
