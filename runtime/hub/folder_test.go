package hub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// folder writes a model folder at dir with a config.json copied from
// testdata/hub/src and a (dummy) weights file, and returns dir.
func folder(t *testing.T, dir, src string, files ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join("../../testdata/hub", src, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data := []byte("weights")
		if f == ConfigFile {
			data = cfg
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOpenFolder(t *testing.T) {
	dir := folder(t, t.TempDir(), "seresnet50.a1_in1k", WeightsFile, ConfigFile)
	m, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dir != dir || m.Weights != filepath.Join(dir, WeightsFile) || m.Repo != "" || m.Config.Architecture != "seresnet50" {
		t.Errorf("got %+v", m)
	}
}

func TestOpenFolderErrors(t *testing.T) {
	tmp := t.TempDir()
	noConfig := folder(t, filepath.Join(tmp, "a"), "seresnet50.a1_in1k", WeightsFile)
	pickle := folder(t, filepath.Join(tmp, "b"), "seresnet50.a1_in1k", pickleFile, ConfigFile)
	empty := folder(t, filepath.Join(tmp, "c"), "seresnet50.a1_in1k")
	badConfig := folder(t, filepath.Join(tmp, "d"), "seresnet50.a1_in1k", WeightsFile)
	os.WriteFile(filepath.Join(badConfig, ConfigFile), []byte(`{"num_classes": 3}`), 0o644)
	file := filepath.Join(noConfig, WeightsFile)
	cases := []struct{ ref, want string }{
		{noConfig, "no config.json beside the weights (huggingface-cli download timm/NAME config.json fetches it; or give the weights alone with -weights)"},
		{pickle, "holds pytorch_model.bin but no model.safetensors; segen reads safetensors only, not PyTorch's pickles: huggingface-cli download timm/NAME model.safetensors, " +
			`or convert it once with python3 -c "import torch, safetensors.torch as st; st.save_file(torch.load('pytorch_model.bin', map_location='cpu'), 'model.safetensors')"`},
		{empty, "no model.safetensors (huggingface-cli download timm/NAME downloads the model folder)"},
		{badConfig, `config.json: not a timm config: no "architecture"`},
		{file, "is a file; a model is a folder holding model.safetensors and config.json"},
		{filepath.Join(tmp, "nowhere"), "no such folder, and not a Hub repository id"},
	}
	for _, c := range cases {
		_, err := Open(c.ref)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error saying %q", c.ref, err, c.want)
		}
	}
}

// hubCache lays out repo in a Hugging Face cache at root as
// huggingface_hub does: blobs, snapshots/<commit>/ entries linking to
// them, refs/main naming the commit.
func hubCache(t *testing.T, root, repo, src, commit string, withRef bool) string {
	t.Helper()
	base := filepath.Join(root, "models--"+strings.ReplaceAll(repo, "/", "--"))
	// Blobs are named by content hash; the commit stands in for it here.
	folder(t, filepath.Join(base, "blobs", commit), src, WeightsFile, ConfigFile)
	snap := filepath.Join(base, "snapshots", commit)
	if err := os.MkdirAll(snap, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{WeightsFile, ConfigFile} {
		if err := os.Symlink(filepath.Join("..", "..", "blobs", commit, f), filepath.Join(snap, f)); err != nil {
			t.Fatal(err)
		}
	}
	if withRef {
		if err := os.MkdirAll(filepath.Join(base, "refs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(base, "refs", "main"), []byte(commit), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

// clearHubEnv unsets every variable that places the cache.
func clearHubEnv(t *testing.T) {
	for _, v := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"} {
		t.Setenv(v, "")
	}
}

func TestCacheDir(t *testing.T) {
	clearHubEnv(t)
	t.Setenv("HOME", "/home/u")
	steps := []struct{ set, value, dir, from string }{
		{"", "", "/home/u/.cache/huggingface/hub", "the default"},
		{"XDG_CACHE_HOME", "/xdg", "/xdg/huggingface/hub", "XDG_CACHE_HOME"},
		{"HF_HOME", "~/hf", "/home/u/hf/hub", "HF_HOME"},
		{"HUGGINGFACE_HUB_CACHE", "/old", "/old", "HUGGINGFACE_HUB_CACHE"},
		{"HF_HUB_CACHE", "/new", "/new", "HF_HUB_CACHE"},
	}
	for _, s := range steps { // each variable takes precedence over those before it
		if s.set != "" {
			t.Setenv(s.set, s.value)
		}
		if dir, from := CacheDir(); dir != s.dir || from != s.from {
			t.Errorf("with %s=%s: %s from %s, want %s from %s", s.set, s.value, dir, from, s.dir, s.from)
		}
	}
}

func TestOpenCache(t *testing.T) {
	clearHubEnv(t)
	home := t.TempDir()
	t.Setenv("HF_HOME", home)
	cache := filepath.Join(home, "hub")
	const commit = "0123456789abcdef0123456789abcdef01234567"
	snap := hubCache(t, cache, "timm/seresnet50.a1_in1k", "seresnet50.a1_in1k", commit, true)
	hubCache(t, cache, "timm/seresnet50.a1_in1k", "seresnet50.a3_in1k", "fedcba9876543210fedcba9876543210fedcba98", false)

	m, err := Open("timm/seresnet50.a1_in1k")
	if err != nil {
		t.Fatal(err)
	}
	if m.Dir != snap || m.Repo != "timm/seresnet50.a1_in1k" || m.Config.Tag != "a1_in1k" {
		t.Errorf("got %+v, want the snapshot refs/main names (%s)", m, snap)
	}
	m, err = Open("timm/seresnet50.a1_in1k@fedcba9876543210fedcba9876543210fedcba98")
	if err != nil || m.Config.Tag != "a3_in1k" {
		t.Errorf("by commit: got %+v, %v", m, err)
	}
	// timm's prefix for the Hub, and for a folder.
	for _, ref := range []string{"hf-hub:timm/seresnet50.a1_in1k", "hf_hub:timm/seresnet50.a1_in1k", "local-dir:" + snap} {
		if m, err := Open(ref); err != nil || m.Dir != snap {
			t.Errorf("%s: got %+v, %v", ref, m, err)
		}
	}

	// Without refs/main, the only snapshot.
	hubCache(t, cache, "timm/resnet18.labels", "resnet18.labels", commit, false)
	if m, err := Open("timm/resnet18.labels"); err != nil || m.Config.NumClasses != 3 {
		t.Errorf("single snapshot: got %+v, %v", m, err)
	}

	// A dangling link is a download that did not finish.
	os.Remove(filepath.Join(cache, "models--timm--seresnet50.a1_in1k", "blobs", commit, WeightsFile))
	if _, err := Open("timm/seresnet50.a1_in1k"); err == nil || !strings.Contains(err.Error(), snap+"/model.safetensors links to a file that is not there (an unfinished download); "+
		"download it again with: huggingface-cli download timm/seresnet50.a1_in1k model.safetensors") {
		t.Errorf("dangling link: got %v", err)
	}
	folder(t, filepath.Join(cache, "models--timm--seresnet50.a1_in1k", "blobs", commit), "seresnet50.a1_in1k", WeightsFile)
	os.Remove(filepath.Join(cache, "models--timm--seresnet50.a1_in1k", "blobs", commit, ConfigFile))
	if _, err := Open("timm/seresnet50.a1_in1k"); err == nil || !strings.Contains(err.Error(), snap+"/config.json links to a file that is not there") {
		t.Errorf("dangling config link: got %v", err)
	}
}

func TestOpenCacheErrors(t *testing.T) {
	clearHubEnv(t)
	cache := t.TempDir()
	t.Setenv("HF_HUB_CACHE", cache)
	hubCache(t, cache, "timm/two", "seresnet50.a1_in1k", "aaaa", false)
	hubCache(t, cache, "timm/two", "seresnet50.a1_in1k", "bbbb", false)
	hubCache(t, cache, "timm/stale", "seresnet50.a1_in1k", "aaaa", false)
	hubCache(t, cache, "timm/seresnet50.a1_in1k", "seresnet50.a1_in1k", "aaaa", false)
	hubCache(t, cache, "timm/seresnet50.ra2_in1k", "seresnet50.ra2_in1k", "aaaa", false)
	os.MkdirAll(filepath.Join(cache, "models--timm--stale", "refs"), 0o755)
	os.WriteFile(filepath.Join(cache, "models--timm--stale", "refs", "main"), []byte("cccc\n"), 0o644)
	missing := filepath.Join(cache, "models--timm--seresnext50_32x4d.racm_in1k")
	cases := []struct{ ref, want string }{
		{"timm/seresnext50_32x4d.racm_in1k", "timm/seresnext50_32x4d.racm_in1k is not in the Hugging Face cache: no " + missing +
			" (the cache is " + cache + ", from HF_HUB_CACHE); download it with: huggingface-cli download timm/seresnext50_32x4d.racm_in1k"},
		{"timm/seresnext50_32x4d.racm_in1k@v2", "download it with: huggingface-cli download timm/seresnext50_32x4d.racm_in1k --revision v2"},
		{"timm/two", "has no refs/main and 2 snapshots (aaaa, bbbb); name one: timm/two@aaaa"},
		{"timm/two@cccc", "revision cccc is not in"},
		{"timm/stale", "refs/main names cccc, which is not in"},
		{"not a repo", "no such folder, and not a Hub repository id"},
		{"seresnet50.a1_in1k", "no such folder, and not a Hub repository id such as timm/seresnet50.a1_in1k; timm's repositories are timm/seresnet50.a1_in1k"},
		{"hf-hub:seresnet50", "hf-hub:seresnet50: want hf-hub:OWNER/NAME[@REVISION]"},
		{"local-dir:" + filepath.Join(cache, "nowhere"), "no such file or directory"},
		// timm's repositories carry the pretrained tag.
		// timm's repositories carry the pretrained tag: the advice names
		// the tagged ones, never the untagged name.
		{"timm/seresnet50", "(the cache is " + cache + ", from HF_HUB_CACHE); timm's repositories carry the pretrained tag: timm knows " +
			"timm/seresnet50.a1_in1k (its default), timm/seresnet50.a2_in1k, timm/seresnet50.a3_in1k, timm/seresnet50.ra2_in1k; " +
			"download one with: huggingface-cli download timm/seresnet50.a1_in1k (the cache holds timm/seresnet50.a1_in1k, timm/seresnet50.ra2_in1k)"},
		{"hf-hub:timm/legacy_seresnet50", "timm knows timm/legacy_seresnet50.in1k (its default); download one with: huggingface-cli download timm/legacy_seresnet50.in1k"},
		{"timm/seresnextaa101d_32x8d@v1", "timm knows timm/seresnextaa101d_32x8d.sw_in12k_ft_in1k_288 (its default), timm/seresnextaa101d_32x8d.sw_in12k_ft_in1k, " +
			"timm/seresnextaa101d_32x8d.sw_in12k, timm/seresnextaa101d_32x8d.ah_in1k; download one with: huggingface-cli download timm/seresnextaa101d_32x8d.sw_in12k_ft_in1k_288 --revision v1"},
		{"timm/convnext_tiny", "timm's repositories carry the pretrained tag, timm/convnext_tiny.TAG (e.g. timm/seresnet50.a1_in1k); download one with: huggingface-cli download timm/convnext_tiny.TAG"},
		{"timm/seresnet50.b9_in1k", "timm knows no tag b9_in1k for seresnet50, only a1_in1k, a2_in1k, a3_in1k, ra2_in1k; download it with: huggingface-cli download timm/seresnet50.b9_in1k"},
		{"seresnet50", "not a Hub repository id such as timm/seresnet50.a1_in1k; timm's repositories carry the pretrained tag: timm knows timm/seresnet50.a1_in1k (its default),"},
	}
	for _, c := range cases {
		_, err := Open(c.ref)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant an error saying %q", c.ref, err, c.want)
		}
	}
}
