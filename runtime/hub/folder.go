package hub

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The files of a model folder, as timm pushes them and
// `huggingface-cli download timm/NAME` leaves them.
const (
	WeightsFile = "model.safetensors"
	ConfigFile  = "config.json"
	pickleFile  = "pytorch_model.bin" // what segen cannot read
)

// Model is a timm model folder: its weights and its config.
type Model struct {
	Repo    string  // the Hub repository id it was found under, e.g. "timm/seresnet50.a1_in1k"; "" for a folder given by path
	Dir     string  // the folder
	Weights string  // Dir/model.safetensors
	Config  *Config // Dir/config.json
}

// repoID matches a Hub repository id, "owner/name", optionally with a
// revision: "timm/seresnet50.a1_in1k@main".
var repoID = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9._/-]+))?$`)

// Open returns the model ref names: a folder, or a Hub repository id
// ("timm/NAME", "timm/NAME@REVISION") looked up in the local Hugging Face
// cache (see CacheDir). An existing folder of that name wins over the
// cache. timm's own prefixes choose one: "hf-hub:timm/NAME" (or
// "hf_hub:") the cache, "local-dir:PATH" the folder.
func Open(ref string) (*Model, error) {
	source, id, ok := strings.Cut(ref, ":")
	switch strings.ToLower(source) {
	case "hf-hub", "hf_hub":
		if !ok || !repoID.MatchString(id) {
			return nil, fmt.Errorf("%s: want hf-hub:OWNER/NAME[@REVISION], e.g. hf-hub:timm/seresnet50.a1_in1k", ref)
		}
		return openRepo(id)
	case "local-dir":
		return openFolder(id)
	}
	if _, err := os.Stat(ref); err == nil {
		return openFolder(ref)
	}
	if !repoID.MatchString(ref) {
		hint := ""
		if repoID.MatchString("timm/" + ref) {
			suggest, advice := tagged("timm/" + ref)
			hint = "; timm's repositories are timm/" + ref + advice
			if suggest != "timm/"+ref {
				hint = advice
			}
		}
		return nil, fmt.Errorf("%s: no such folder, and not a Hub repository id such as timm/seresnet50.a1_in1k%s", ref, hint)
	}
	return openRepo(ref)
}

// openFolder reads the model folder at path.
func openFolder(path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is a file; a model is a folder holding %s and %s (a weights file alone goes to -weights)", path, WeightsFile, ConfigFile)
	}
	return openDir(path, "")
}

// openRepo reads the model folder of a repository id in the cache.
func openRepo(ref string) (*Model, error) {
	m := repoID.FindStringSubmatch(ref)
	repo, rev := m[1]+"/"+m[2], m[3]
	dir, err := snapshot(repo, rev)
	if err != nil {
		return nil, err
	}
	return openDir(dir, repo)
}

// openDir reads the model folder dir.
func openDir(dir, repo string) (*Model, error) {
	download := "huggingface-cli download " + cmp.Or(repo, "timm/NAME")
	weights := filepath.Join(dir, WeightsFile)
	switch {
	case dangling(weights):
		return nil, fmt.Errorf("%s links to a file that is not there (an unfinished download); download it again with: %s %s", weights, download, WeightsFile)
	case !exists(weights) && exists(filepath.Join(dir, pickleFile)):
		return nil, fmt.Errorf("%s holds %s but no %s; segen reads safetensors only, not PyTorch's pickles: %s %s, "+
			"or convert it once with python3 -c \"import torch, safetensors.torch as st; st.save_file(torch.load('%s', map_location='cpu'), '%s')\"",
			dir, pickleFile, WeightsFile, download, WeightsFile, pickleFile, WeightsFile)
	case !exists(weights):
		return nil, fmt.Errorf("%s: no %s (%s downloads the model folder)", dir, WeightsFile, download)
	}
	path := filepath.Join(dir, ConfigFile)
	switch {
	case dangling(path):
		return nil, fmt.Errorf("%s links to a file that is not there (an unfinished download); download it again with: %s %s", path, download, ConfigFile)
	case !exists(path):
		return nil, fmt.Errorf("%s: no %s beside the weights (%s %s fetches it; or give the weights alone with -weights)", dir, ConfigFile, download, ConfigFile)
	}
	c, err := ReadConfig(path)
	if err != nil {
		return nil, err
	}
	return &Model{Repo: repo, Dir: dir, Weights: weights, Config: c}, nil
}

// exists reports whether path names a file, following symbolic links (the
// cache's snapshot entries link to blobs).
func exists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// dangling reports whether path is a symbolic link to nothing: in the
// cache, a download that did not finish or a blob removed by hand.
func dangling(path string) bool {
	_, err := os.Stat(path)
	st, lerr := os.Lstat(path)
	return errors.Is(err, fs.ErrNotExist) && lerr == nil && st.Mode()&fs.ModeSymlink != 0
}

// CacheDir returns the Hugging Face hub cache, found as huggingface_hub
// finds it, and what set it: $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE,
// else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
// ~/.cache/huggingface/hub.
func CacheDir() (dir, from string) {
	if d := os.Getenv("HF_HUB_CACHE"); d != "" {
		return expand(d), "HF_HUB_CACHE"
	}
	if d := os.Getenv("HUGGINGFACE_HUB_CACHE"); d != "" {
		return expand(d), "HUGGINGFACE_HUB_CACHE"
	}
	if d := os.Getenv("HF_HOME"); d != "" {
		return filepath.Join(expand(d), "hub"), "HF_HOME"
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(expand(d), "huggingface", "hub"), "XDG_CACHE_HOME"
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "huggingface", "hub"), "the default"
}

// expand replaces a leading ~ with the home directory, as Python's
// os.path.expanduser does for these variables.
func expand(path string) string {
	if path == "~" || strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, path[1:])
		}
	}
	return path
}

// cachedTags names the repositories of the cache whose names are repo's
// with a pretrained tag after a dot (timm/seresnet50.a1_in1k for
// timm/seresnet50: timm's Hub repositories carry the tag), as advice, or
// "".
func cachedTags(cache, repo string) string {
	prefix := "models--" + strings.ReplaceAll(repo, "/", "--") + "."
	entries, _ := os.ReadDir(cache)
	var found []string
	for _, e := range entries {
		if tag, ok := strings.CutPrefix(e.Name(), prefix); ok && e.IsDir() {
			found = append(found, repo+"."+tag)
		}
	}
	if found == nil {
		return ""
	}
	return " (the cache holds " + strings.Join(found, ", ") + ")"
}

// snapshot returns the folder of repo at revision rev ("" for main) in the
// cache: models--OWNER--NAME/snapshots/COMMIT, COMMIT read from
// refs/REVISION, or REVISION itself when it is a commit; with no refs/main,
// the only snapshot there is.
func snapshot(repo, rev string) (string, error) {
	cache, from := CacheDir()
	root := filepath.Join(cache, "models--"+strings.ReplaceAll(repo, "/", "--"))
	download := "huggingface-cli download " + repo
	if rev != "" {
		download += " --revision " + rev
	}
	where := fmt.Sprintf("%s (the cache is %s, from %s)", root, cache, from)
	if _, err := os.Stat(root); err != nil {
		// timm/NAME without its tag is no repository: name the tagged ones.
		suggest, advice := tagged(repo)
		which := "it"
		if suggest != repo {
			which, download = "one", strings.Replace(download, repo, suggest, 1)
		}
		return "", fmt.Errorf("%s is not in the Hugging Face cache: no %s%s; download %s with: %s%s", repo, where, advice, which, download, cachedTags(cache, repo))
	}
	snapshots := filepath.Join(root, "snapshots")
	if ref, err := os.ReadFile(filepath.Join(root, "refs", cmp.Or(rev, "main"))); err == nil {
		commit := strings.TrimSpace(string(ref))
		dir := filepath.Join(snapshots, commit)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return "", fmt.Errorf("%s: refs/%s names %s, which is not in %s; download it again with: %s", repo, cmp.Or(rev, "main"), commit, snapshots, download)
		}
		return dir, nil
	}
	if rev != "" {
		dir := filepath.Join(snapshots, rev)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir, nil
		}
		return "", fmt.Errorf("%s: revision %s is not in %s; download it with: %s", repo, rev, where, download)
	}
	entries, err := os.ReadDir(snapshots)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	slices.Sort(dirs)
	switch len(dirs) {
	case 0:
		return "", fmt.Errorf("%s is not in the Hugging Face cache: no snapshot in %s; download it with: %s", repo, where, download)
	case 1:
		return filepath.Join(snapshots, dirs[0]), nil
	}
	return "", fmt.Errorf("%s: %s has no refs/main and %d snapshots (%s); name one: %s@%s", repo, root, len(dirs), strings.Join(dirs, ", "), repo, dirs[0])
}
