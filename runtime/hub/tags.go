package hub

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

// timmTagsTxt holds, one line an architecture segen runs, its name and
// the pretrained tags timm knows for it, timm's default first: the
// repositories timm/NAME.TAG of the Hub. tools/timm_tags.py writes it
// from timm's default_cfgs.
//
//go:embed timm_tags.txt
var timmTagsTxt string

// TimmTags returns the pretrained tags timm knows for the architecture
// arch ("seresnet50" → a1_in1k, a2_in1k, a3_in1k, ra2_in1k), timm's
// default first; nil for an architecture without trained weights or one
// segen does not run.
func TimmTags(arch string) []string {
	for line := range strings.Lines(timmTagsTxt) {
		if f := strings.Fields(line); len(f) > 1 && f[0] == arch {
			return f[1:]
		}
	}
	return nil
}

// tagged returns the repository to name in advice for repo: repo itself,
// or, for timm/NAME without the pretrained tag that timm's repositories
// carry, timm/NAME.TAG with timm's default tag; and what to add to the
// advice, "" when repo is fine as it is: the tags timm knows for NAME, or
// that the name needs one.
func tagged(repo string) (suggest, advice string) {
	owner, name, _ := strings.Cut(repo, "/")
	if owner != "timm" {
		return repo, ""
	}
	arch, tag, hasTag := strings.Cut(name, ".")
	tags := TimmTags(arch)
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = "timm/" + arch + "." + t
		if i == 0 {
			names[i] += " (its default)"
		}
	}
	switch {
	case !hasTag && tags == nil:
		return "timm/" + name + ".TAG", fmt.Sprintf("; timm's repositories carry the pretrained tag, timm/%s.TAG (e.g. timm/seresnet50.a1_in1k)", name)
	case !hasTag:
		return "timm/" + arch + "." + tags[0], "; timm's repositories carry the pretrained tag: timm knows " + strings.Join(names, ", ")
	case tags != nil && !slices.Contains(tags, tag):
		return repo, fmt.Sprintf("; timm knows no tag %s for %s, only %s", tag, arch, strings.Join(tags, ", "))
	}
	return repo, ""
}
