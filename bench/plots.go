package main

// Plots are drawn with gonum.org/v1/plot: maintained, pure Go (no cgo, no browser, no
// Python), and it writes PNG and SVG itself. Only bench/ imports it, so it and its font and
// image dependencies never reach the server binary (`make lint` checks the server's imports).

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var (
	colP50    = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff} // blue
	colP99    = color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff} // red
	colMax    = color.NRGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff} // grey
	colBudget = color.NRGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff} // green
	colFloor  = color.NRGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff} // orange
	colFill   = color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0x80}
)

const (
	plotW = 8 * vg.Inch // 768 px at 96 dpi
	plotH = 4 * vg.Inch
)

// writePlots draws the plots of one player count into dir and returns their paths.
func writePlots(dir, format string, pr *playerRun) ([]string, error) {
	var files []string
	save := func(p *plot.Plot, name string) error {
		path := filepath.Join(dir, name+"."+format)
		if err := p.Save(plotW, plotH, path); err != nil {
			return fmt.Errorf("bench: plot %s: %w", path, err)
		}
		files = append(files, path)
		return nil
	}
	a := pr.Arena
	if a != nil && a.Tick != nil {
		if err := save(tickTimePlot(pr.Players, a), "tick-duration"); err != nil {
			return files, err
		}
		if err := save(tickHistPlot(pr.Players, a), "tick-histogram"); err != nil {
			return files, err
		}
	}
	if err := save(bytesPlot(pr), "bytes-per-client"); err != nil {
		return files, err
	}
	if err := save(cpuPlot(pr), "server-cpu"); err != nil {
		return files, err
	}
	return files, nil
}

// chart is a plot that keeps track of its data's top, to leave room for the legend.
type chart struct {
	*plot.Plot
	top float64
}

func newChart(title, x, y string) *chart {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Min, p.Y.Min = 0, 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return &chart{Plot: p}
}

// done sets the y axis from 0 to a little above the data, so that the legend (top right)
// covers no line.
func (c *chart) done() *plot.Plot {
	c.Y.Max = c.top * 1.35
	if c.top <= 0 {
		c.Y.Max = 1
	}
	return c.Plot
}

// line adds a line of xs, ys with a legend entry (none if name is empty).
func (c *chart) line(name string, col color.Color, dashed bool, xs, ys []float64) {
	c.addLine(name, col, dashed, false, xs, ys)
}

// linePoints is line with a dot at every point, for lines of few points.
func (c *chart) linePoints(name string, col color.Color, dashed bool, xs, ys []float64) {
	c.addLine(name, col, dashed, true, xs, ys)
}

func (c *chart) addLine(name string, col color.Color, dashed, dots bool, xs, ys []float64) {
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
		c.top = max(c.top, ys[i])
	}
	l, err := plotter.NewLine(pts)
	if err != nil || len(pts) == 0 {
		return // nothing to draw
	}
	l.Color = col
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	c.Add(l)
	var thumbs []plot.Thumbnailer
	thumbs = append(thumbs, l)
	if dots {
		sc, err := plotter.NewScatter(pts)
		if err == nil {
			sc.Color = col
			sc.Shape = draw.CircleGlyph{}
			sc.Radius = vg.Points(2.5)
			c.Add(sc)
			thumbs = append(thumbs, sc)
		}
	}
	if name != "" {
		c.Legend.Add(name, thumbs...)
	}
}

// vline marks x with a vertical dashed line over the whole height.
func (c *chart) vline(name string, col color.Color, x float64) {
	l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: 1e9}})
	l.Color = col
	l.Width = vg.Points(1)
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	c.Add(l)
	if name != "" {
		c.Legend.Add(name, l)
	}
}

// series extracts one value per timeline point that keep accepts.
func series(tl []timelinePoint, keep func(timelinePoint) bool, f func(timelinePoint) float64) (xs, ys []float64) {
	for _, pt := range tl {
		if keep == nil || keep(pt) {
			xs = append(xs, pt.T)
			ys = append(ys, f(pt))
		}
	}
	return xs, ys
}

// window marks the measured window of run r on c.
func (c *chart) window(r *RunResult, name string) {
	c.vline(name, color.Black, r.WindowStartS)
	c.vline("", color.Black, r.WindowStartS+r.WindowS)
	c.X.Max = max(c.X.Max, r.WindowStartS+r.WindowS+0.5)
}

const timeAxis = "time since the first player joined (s)"

func tickTimePlot(n int, a *RunResult) *plot.Plot {
	t := a.Tick
	title := fmt.Sprintf("Server tick duration, %d players (budget %.1f ms)", n, t.BudgetMS)
	c := newChart(title, timeAxis, "tick duration (ms)")
	ticking := func(pt timelinePoint) bool { return pt.Ticks > 0 }
	xs, p50 := series(a.Timeline, ticking, func(pt timelinePoint) float64 { return pt.TickP50MS })
	_, p99 := series(a.Timeline, ticking, func(pt timelinePoint) float64 { return pt.TickP99MS })
	_, mx := series(a.Timeline, ticking, func(pt timelinePoint) float64 { return pt.TickMaxMS })
	c.line("max of each second", colMax, false, xs, mx)
	c.line("p99 of the last 5 s", colP99, false, xs, p99)
	c.line("p50 of each second", colP50, false, xs, p50)
	if c.top >= t.BudgetMS/2 && len(xs) > 0 { // the budget, when it is near enough to see
		c.line("budget", colBudget, true, []float64{0, xs[len(xs)-1]}, []float64{t.BudgetMS, t.BudgetMS})
	}
	c.window(a, "measured window")
	return c.done()
}

func tickHistPlot(n int, a *RunResult) *plot.Plot {
	t := a.Tick
	c := newChart(fmt.Sprintf("Server tick durations in the window, %d players (%d ticks)", n, t.Ticks),
		"tick duration (ms, log scale)", "ticks")
	h := &plotter.Histogram{FillColor: colFill}
	h.LineStyle.Width = vg.Points(0.5)
	h.LineStyle.Color = colP50
	for _, b := range t.Histogram {
		lo := max(b.LowerMS, b.UpperMS/2) // the first buckets start at 0: keep them on a log axis
		h.Bins = append(h.Bins, plotter.HistogramBin{Min: lo, Max: b.UpperMS, Weight: float64(b.Count)})
		c.top = max(c.top, float64(b.Count))
	}
	if len(h.Bins) == 0 {
		return c.done()
	}
	c.Add(h)
	lo, hi := h.Bins[0].Min, max(h.Bins[len(h.Bins)-1].Max, t.Total.P99)
	if t.BudgetMS <= hi*2 {
		hi = max(hi, t.BudgetMS)
		c.vline(fmt.Sprintf("budget %.1f ms", t.BudgetMS), colBudget, t.BudgetMS)
	}
	c.vline(fmt.Sprintf("p50 %.2f ms", t.Total.P50), colP50, t.Total.P50)
	c.vline(fmt.Sprintf("p99 %.2f ms", t.Total.P99), colP99, t.Total.P99)
	c.X.Scale = plot.LogScale{}
	c.X.Min, c.X.Max = lo/1.2, hi*2.5 // room on the right for the legend
	c.X.Tick.Marker = msTicks{}
	return c.done()
}

// msTicks labels a log axis of milliseconds at 1, 2 and 5 of each power of ten.
type msTicks struct{}

func (msTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 3, 64)})
		}
	}
	return ts
}

func bytesPlot(pr *playerRun) *plot.Plot {
	c := newChart(fmt.Sprintf("Bytes received per client per second, %d players", pr.Players),
		timeAxis, "KiB/s per client")
	kib := func(v float64) float64 { return v / 1024 }
	measured := func(pt timelinePoint) bool { return pt.Clients > 0 }
	if a := pr.Arena; a != nil {
		xs, mean := series(a.Timeline, measured, func(pt timelinePoint) float64 { return kib(pt.BytesPerClientMean) })
		_, p99 := series(a.Timeline, measured, func(pt timelinePoint) float64 { return kib(pt.BytesPerClientP99) })
		c.line("tickwire, p99 of clients", colP99, false, xs, p99)
		c.line("tickwire, mean", colP50, false, xs, mean)
		c.window(a, "tickwire window")
	}
	if f := pr.Floor; f != nil {
		xs, mean := series(f.Timeline, measured, func(pt timelinePoint) float64 { return kib(pt.BytesPerClientMean) })
		c.line("floor, mean", colFloor, true, xs, mean)
	}
	return c.done()
}

func cpuPlot(pr *playerRun) *plot.Plot {
	c := newChart(fmt.Sprintf("CPU over time, %d players", pr.Players), timeAxis, "CPU (cores)")
	if a := pr.Arena; a != nil {
		xs, cpu := series(a.Timeline, nil, func(pt timelinePoint) float64 { return pt.CPUCores })
		_, bots := series(a.Timeline, nil, func(pt timelinePoint) float64 { return pt.BenchCPUCores })
		c.line("tickwire server", colP99, false, xs, cpu)
		_, others := series(a.Timeline, nil, func(pt timelinePoint) float64 { return pt.OtherCPUCores })
		c.line("bots (tickwire run)", colMax, false, xs, bots)
		c.line("other processes (tickwire run)", colP50, true, xs, others)
		c.window(a, "tickwire window")
	}
	if f := pr.Floor; f != nil {
		xs, cpu := series(f.Timeline, nil, func(pt timelinePoint) float64 { return pt.CPUCores })
		c.line("floor server", colFloor, true, xs, cpu)
	}
	return c.done()
}

// writeSweepPlot draws how tick time, CPU and bytes per client grow with the player count:
// three panels, one above the other.
func writeSweepPlot(dir, format string, runs []playerRun) (string, error) {
	var ns, p50, p99, cpu, floorCPU, floorN, kib []float64
	for _, pr := range runs {
		a := pr.Arena
		if a == nil {
			continue
		}
		n := float64(pr.Players)
		ns = append(ns, n)
		if a.Tick != nil {
			p50 = append(p50, a.Tick.Total.P50)
			p99 = append(p99, a.Tick.Total.P99)
		} else {
			p50, p99 = append(p50, 0), append(p99, 0)
		}
		cpu = append(cpu, a.Server.CPUCores)
		kib = append(kib, a.Clients.BytesPerSecMean/1024)
		if pr.Floor != nil {
			floorN = append(floorN, n)
			floorCPU = append(floorCPU, pr.Floor.Server.CPUCores)
		}
	}
	const x = "players"
	pt := newChart("Server tick duration vs players", x, "tick (ms)")
	pt.linePoints("p99", colP99, false, ns, p99)
	pt.linePoints("p50", colP50, false, ns, p50)
	pc := newChart("Server CPU vs players", x, "CPU (cores)")
	pc.linePoints("tickwire", colP99, false, ns, cpu)
	pc.linePoints("floor", colFloor, true, floorN, floorCPU)
	pb := newChart("Bytes received per client vs players", x, "KiB/s per client")
	pb.linePoints("mean", colP50, false, ns, kib)
	plots := [][]*plot.Plot{{pt.done()}, {pc.done()}, {pb.done()}}

	h := 3 * plotH * 3 / 4
	c, err := draw.NewFormattedCanvas(plotW, h, format)
	if err != nil {
		return "", err
	}
	tiles := draw.Tiles{Rows: 3, Cols: 1, PadY: vg.Points(10), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(10)}
	canvases := plot.Align(plots, tiles, draw.New(c))
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	path := filepath.Join(dir, "sweep."+format)
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return "", fmt.Errorf("bench: plot %s: %w", path, err)
	}
	return path, f.Close()
}
