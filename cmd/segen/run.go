package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/segen/segen/runtime/hub"
	"github.com/segen/segen/runtime/imagenet"
	"github.com/segen/segen/runtime/resnet"
	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
)

// cmdRun implements "segen run": SE-ResNet inference on image files or on
// a tensor file.
func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", "(-model DIR|timm/NAME | -weights FILE | -arch NAME -seed N) [flags] (-input FILE | IMAGE...)",
		"Run classifies images with a ResNet or SE-ResNet (timm weights) or with\n"+
			"SE-BN-Inception or BN-Inception (the SENet release's layer names), in pure Go.\n\n"+
			"With image files (JPEG or PNG) it applies the ImageNet evaluation transform\n"+
			"(resize the shorter side to floor(size/crop-pct), centre crop, normalise; see\n"+
			"-preprocess) and prints each image's top classes with their probabilities.\n"+
			"With -input it reads the tensor named \"input\" ([N, 3, H, W], NCHW, already\n"+
			"normalised; any H and W for the ResNets, 224×224 for the Inceptions)\n"+
			"from a safetensors file instead. -output writes the logits ([N, classes], F32,\n"+
			"named \"logits\") to a safetensors file; without it the top classes are printed.\n\n"+
			"An image that cannot be classified (missing, not a JPEG or PNG, truncated,\n"+
			"corrupt, or above -max-pixels) is reported on stderr, one line with the file\n"+
			"and why, and the others are still classified; the exit status is then 1.\n"+
			"The logits of -output are those of the images classified, in order.\n\n"+
			"-model takes a timm model folder (model.safetensors and config.json, as\n"+
			"`huggingface-cli download timm/NAME` fetches it) or the repository id timm/NAME,\n"+
			"looked up in the local Hugging Face cache; its config.json gives the architecture,\n"+
			"the evaluation recipe and the class names. Without -arch or config.json the\n"+
			"architecture is inferred from the weights. Flags given override config.json.\n"+
			"Classes are named by -labels, else by config.json's label_names, else, when the\n"+
			"class count is an ImageNet subset's (1000, 11821, ...), as timm names them.\n\n"+
			"Architectures: "+strings.Join(archNames(), ", ")+" (the Inceptions need -arch).", stderr)
	arch := fs.String("arch", "", "the architecture `name`, e.g. seresnet50 (default: config.json's with -model, else\ninferred from the weights; required with -seed)")
	model := fs.String("model", "", "timm model `folder` (model.safetensors + config.json) or Hub id timm/NAME.TAG[@REVISION]\n"+
		"(also as timm writes them, local-dir:PATH and hf-hub:timm/NAME.TAG) in the local Hugging Face\n"+
		"cache ($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)")
	weights := fs.String("weights", "", "safetensors `file` with timm's state dict (F32, F16 or BF16), or the prototxt's\nlayer names for the Inceptions (see runtime/inception); with -model, the folder's model.safetensors")
	seed := fs.Uint64("seed", 0, "use deterministic random weights from this `seed` instead of -weights\n(tools/resnet_fixtures.py's generator; for benchmarks and the parity fixtures)")
	classes := fs.Int("classes", 1000, "number of classes with -seed")
	input := fs.String("input", "", "safetensors `file` whose tensor \"input\" [N, 3, H, W] to run")
	output := fs.String("output", "", "write the logits [N, classes] as tensor \"logits\" to this safetensors `file`")
	labels := fs.String("labels", "", labelsHelp)
	top := fs.Int("top", 5, "print the top `k` classes of each sample")
	size := fs.Int("size", 224, "side of the centre crop fed to the network, in `pixels`")
	cropPct := fs.Float64("crop-pct", 0.875, "crop `fraction`: the shorter side is resized to floor(size/crop-pct)")
	interp := fs.String("interp", "bilinear", "resize `filter`: bilinear or bicubic")
	maxPixels := fs.Int("max-pixels", imagenet.DefaultMaxPixels, "refuse images of more than `N` pixels (width × height) from their header,\n"+
		"before decoding them: decoding takes 1.5–24 bytes a pixel, so a file that\n"+
		"declares huge dimensions in a few bytes (a decompression bomb) costs nothing")
	cropMode := fs.String("crop-mode", "center", "crop `mode`, as timm's crop_mode: center (resize the shorter side, crop), squash (resize\nboth sides, crop) or border (resize the longer side, pad with the mean colour, crop)")
	antialias := fs.Bool("antialias", true, "widen the resize filter when downscaling, as torchvision's Resize\nand PIL do (false: plain interpolation, as F.interpolate(antialias=False))")
	threads := fs.Int("threads", 0, fmt.Sprintf("goroutines per layer, `N`; 0 means all cores (%d here)", runtime.GOMAXPROCS(0)))
	batch := fs.Int("batch", 8, fmt.Sprintf("images per forward pass, `N`; fewer for large sizes, at most %d input pixels a pass", maxPassPixels))
	generic := fs.Bool("generic", false, "run the generic SE kernels instead of the specialised ones")
	pre := addPreprocessFlags(fs)
	verbose := fs.Bool("v", false, "report the SE kernels used and the time taken on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	seedSet := set["seed"]

	// Check the command line before loading anything.
	switch {
	case *weights == "" && *model == "" && !seedSet:
		return errors.New("-model DIR or -weights FILE is required (or -arch NAME -seed N for random weights)")
	case *weights != "" && seedSet:
		return errors.New("-weights and -seed are exclusive")
	case *model != "" && seedSet:
		return errors.New("-model and -seed are exclusive")
	case *arch == "" && seedSet:
		return fmt.Errorf("-seed needs -arch (one of %s)", strings.Join(archNames(), ", "))
	case set["classes"] && !seedSet:
		return errors.New("-classes goes with -seed; a weights file sets the classes itself")
	case *classes < 1:
		return fmt.Errorf("-classes %d must be at least 1", *classes)
	case *input != "" && fs.NArg() > 0:
		return errors.New("give either -input FILE or image files, not both")
	case *input == "" && fs.NArg() == 0:
		return errors.New("nothing to run: give -input FILE or image files")
	case *top < 1:
		return fmt.Errorf("-top %d must be at least 1", *top)
	case *batch < 1:
		return fmt.Errorf("-batch %d must be at least 1", *batch)
	case *threads < 0:
		return fmt.Errorf("-threads %d must not be negative", *threads)
	case *maxPixels < 1:
		return fmt.Errorf("-max-pixels %d must be at least 1", *maxPixels)
	}
	if *arch != "" {
		if err := checkArch(*arch); err != nil {
			return err
		}
		if err := checkImageSize(*arch, *size); err != nil {
			return err
		}
	}
	var folder *hub.Model
	var err error
	if *model != "" {
		if folder, err = hub.Open(*model); err != nil {
			return err
		}
		if *weights == "" {
			*weights = folder.Weights
		}
	}
	cfg, err := recipe(folder, recipeFlags{*size, *cropPct, *interp, *cropMode, *antialias, set})
	if err != nil {
		return err
	}
	if err := pre.apply(&cfg, *arch); err != nil {
		return err
	}

	// Check the inputs before loading the weights, which takes longer.
	var x *tensor.Tensor
	if *input != "" {
		if x, err = readInput(*input); err != nil {
			return err
		}
	}
	for _, path := range fs.Args() {
		if strings.HasPrefix(path, "-") {
			return fmt.Errorf("flag %s after the image files: flags go first", path)
		}
	}
	// An image that fails is reported and left out; the others still run.
	dec := imagenet.Decoder{MaxPixels: *maxPixels}
	bad := &badImages{w: stderr, total: fs.NArg()}
	var images []string
	for _, path := range fs.Args() {
		if err := dec.Check(path); err != nil {
			bad.report(err)
			continue
		}
		images = append(images, path)
	}
	if fs.NArg() > 0 && len(images) == 0 {
		return bad.err()
	}

	opts := resnet.Options{Threads: *threads, UseGeneric: *generic}
	start := time.Now()
	var m network
	switch {
	case seedSet:
		m, err = loadNetwork(*arch, "", *seed, *classes, netOptions{threads: *threads, generic: *generic})
	case isInception(*arch):
		m, err = loadNetwork(*arch, *weights, 0, 0, netOptions{threads: *threads, generic: *generic})
	default:
		m, *arch, err = loadWeights(*weights, *arch, folder, opts, *verbose, stderr)
	}
	if err != nil {
		return err
	}
	names, namesFrom, err := classNames(*labels, folder, m.Classes())
	if err != nil {
		return err
	}
	if *verbose {
		if folder != nil {
			fmt.Fprintln(stderr, describeModel(folder, cfg))
		}
		fmt.Fprintf(stderr, "loaded %s (%d classes) in %v\n", *arch, m.Classes(), time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(stderr, "class names: %s\n", namesFrom)
	}

	var logits *tensor.Tensor
	var samples []string // what each row of logits is, for printing
	if x != nil {
		if logits, err = forward(m, x, *verbose, stderr); err != nil {
			return err
		}
		for i := range x.Shape[0] {
			samples = append(samples, fmt.Sprintf("%s[%d]", *input, i))
		}
	} else {
		if logits, samples, err = classifyImages(m, images, dec, cfg, *batch, *verbose, stderr, bad); err != nil {
			return err
		}
		if len(samples) == 0 {
			return bad.err()
		}
	}

	if *output != "" {
		t := safetensors.F32("logits", logits.Shape, logits.Data)
		if err := safetensors.WriteFile(*output, []safetensors.Tensor{t}, map[string]string{"arch": *arch}); err != nil {
			return err
		}
		return bad.err()
	}
	printTop(stdout, logits, samples, names, *top)
	return bad.err()
}

// badImages reports the images that cannot be classified, one line each
// on w, and counts them.
type badImages struct {
	w        io.Writer
	n, total int
}

func (b *badImages) report(err error) {
	if errors.Is(err, imagenet.ErrTooLarge) {
		err = fmt.Errorf("%w (-max-pixels sets the budget)", err)
	}
	fmt.Fprintf(b.w, "segen run: %v\n", err)
	b.n++
}

// err is the command's error when any image failed.
func (b *badImages) err() error {
	if b.n == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d images failed", b.n, b.total)
}

// readInput reads the tensor "input" of a safetensors file and checks its
// shape.
func readInput(path string) (*tensor.Tensor, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, ok := f.Lookup("input")
	if !ok {
		return nil, fmt.Errorf("%s: no tensor named \"input\"", path)
	}
	if len(t.Shape) != 4 || t.Shape[1] != 3 || t.NumElements() == 0 {
		return nil, fmt.Errorf("%s: tensor \"input\" has shape %v, want [N 3 H W]", path, t.Shape)
	}
	v, err := t.Float32s()
	if err != nil {
		return nil, err
	}
	return &tensor.Tensor{Shape: t.Shape, Data: v}, nil
}

// forward runs one batch, reporting on stderr when verbose.
func forward(m network, x *tensor.Tensor, verbose bool, stderr io.Writer) (*tensor.Tensor, error) {
	start := time.Now()
	y, err := m.Forward(x)
	if err != nil {
		return nil, err
	}
	if verbose {
		n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
		fmt.Fprintf(stderr, "forward %d×3×%d×%d in %v; SE kernels: %s\n", n, h, w, time.Since(start).Round(time.Millisecond), kernels(m, n, h, w))
	}
	return y, nil
}

// kernels summarises which SE implementations a plan runs, e.g.
// "avx512 ×16" or "none".
func kernels(m network, n, h, w int) string {
	ks, err := seKernels(m, n, h, w)
	if err != nil {
		return err.Error()
	}
	count := map[string]int{}
	for _, k := range ks {
		if k != nil {
			count[k.Impl()]++
		}
	}
	if len(count) == 0 {
		return "none"
	}
	var parts []string
	for impl, c := range count {
		parts = append(parts, fmt.Sprintf("%s ×%d", impl, c))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// maxPassPixels bounds the input pixels of one forward pass (images ×
// size²): eight 512×512 images, or one of 1448×1448. A pass's activations
// take up to about 1 kB an input pixel, so -batch stays within a few GB
// at any -size.
var maxPassPixels = 8 * 512 * 512

// classifyImages decodes and preprocesses the images and runs them in
// batches of at most batch images and maxPassPixels. An image that fails is reported to bad and left out: the logits
// returned are those of the images named in done, in order.
func classifyImages(m network, paths []string, dec imagenet.Decoder, cfg imagenet.Config, batch int, verbose bool, stderr io.Writer, bad *badImages) (logits *tensor.Tensor, done []string, err error) {
	per := 3 * cfg.Size * cfg.Size
	batch = max(1, min(batch, len(paths), maxPassPixels/(cfg.Size*cfg.Size)))
	x := tensor.New(batch, 3, cfg.Size, cfg.Size)
	var all []float32
	n := 0 // images in x
	run := func() error {
		if n == 0 {
			return nil
		}
		y, err := forward(m, &tensor.Tensor{Shape: []int{n, 3, cfg.Size, cfg.Size}, Data: x.Data[:n*per]}, verbose, stderr)
		if err != nil {
			return err
		}
		all, n = append(all, y.Data...), 0
		return nil
	}
	for _, path := range paths {
		if err := preprocessFile(x.Data[n*per:(n+1)*per], path, dec, cfg); err != nil {
			bad.report(err)
			continue
		}
		done = append(done, path)
		if n++; n == batch {
			if err := run(); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := run(); err != nil {
		return nil, nil, err
	}
	return &tensor.Tensor{Shape: []int{len(done), m.Classes()}, Data: all}, done, nil
}

// preprocessFile decodes the image at path into dst.
func preprocessFile(dst []float32, path string, dec imagenet.Decoder, cfg imagenet.Config) error {
	img, err := dec.Decode(path)
	if err != nil {
		return err
	}
	if err := imagenet.Preprocess(dst, img, cfg); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// printTop prints, for each sample, its k most probable classes (softmax of
// the logits) with their probabilities, and names when given.
func printTop(w io.Writer, logits *tensor.Tensor, samples, names []string, k int) {
	classes := logits.Shape[1]
	k = min(k, classes)
	for i, sample := range samples {
		row := logits.Data[i*classes : (i+1)*classes]
		peak := math.Inf(-1)
		for _, v := range row {
			peak = max(peak, float64(v))
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - peak)
		}
		idx := make([]int, classes)
		for j := range idx {
			idx[j] = j
		}
		sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
		fmt.Fprintf(w, "%s:\n", sample)
		for _, c := range idx[:k] {
			p := math.Exp(float64(row[c])-peak) / sum
			if names != nil {
				fmt.Fprintf(w, "  %5d  %.4f  %s\n", c, p, names[c])
			} else {
				fmt.Fprintf(w, "  %5d  %.4f\n", c, p)
			}
		}
	}
}
