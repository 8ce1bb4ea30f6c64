package main

// GuardDog's PyPI typosquat rule (DataDog/guarddog,
// guarddog/analyzer/metadata/typosquatting.py), re-implemented for a
// side-by-side measurement on the same inputs: a name not in the top list is
// flagged when it is one Levenshtein edit or one adjacent swap away from a
// top name, from that name's py/python "confused forms" (py<->python swapped
// or removed in one hyphen-separated term), or from a permutation of its
// hyphen-separated terms.

import (
	"strings"

	"github.com/stripeguard/stripeguard/internal/typosquat"
)

type guardDog struct {
	popular []string
	set     map[string]bool
	// alternates[i] are the confused forms and permutations of popular[i].
	alternates [][]string
}

func newGuardDog(popular []string) *guardDog {
	g := &guardDog{popular: popular, set: map[string]bool{}}
	for _, p := range popular {
		g.set[p] = true
		g.alternates = append(g.alternates, append(confusedForms(p), permutations(p)...))
	}
	return g
}

// check returns the popular names it says n typosquats; exclude is left out
// of the popular list (leave-one-out measurement).
func (g *guardDog) check(name, exclude string) []string {
	n := typosquat.Normalize(name)
	if g.set[n] && n != exclude {
		return nil
	}
	var out []string
	for i, p := range g.popular {
		if p == exclude {
			continue
		}
		hit := oneEdit(n, p)
		for _, a := range g.alternates[i] {
			if hit {
				break
			}
			hit = oneEdit(n, a)
		}
		if hit {
			out = append(out, p)
		}
	}
	return out
}

func oneEdit(a, b string) bool { return levenshteinOne(a, b) || swapped(a, b) }

func levenshteinOne(a, b string) bool {
	la, lb := len(a), len(b)
	switch {
	case la == lb+1:
		for i := 0; i < la; i++ {
			if a[:i]+a[i+1:] == b {
				return true
			}
		}
	case lb == la+1:
		for i := 0; i < lb; i++ {
			if b[:i]+b[i+1:] == a {
				return true
			}
		}
	case la == lb:
		// GuardDog's "edit character" test compares a and b with the
		// same position removed: true also for a == b.
		for i := 0; i < la; i++ {
			if a[:i]+a[i+1:] == b[:i]+b[i+1:] {
				return true
			}
		}
	}
	return false
}

func swapped(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		if a[:i]+string(a[i+1])+string(a[i])+a[i+2:] == b {
			return true
		}
	}
	return false
}

func confusedForms(p string) []string {
	var out []string
	terms := strings.Split(p, "-")
	for i, t := range terms {
		var c string
		switch {
		case strings.Contains(t, "python"):
			c = strings.ReplaceAll(t, "python", "py")
		case strings.Contains(t, "py"):
			c = strings.ReplaceAll(t, "py", "python")
		default:
			continue
		}
		replaced := append(append(append([]string{}, terms[:i]...), c), terms[i+1:]...)
		removed := append(append([]string{}, terms[:i]...), terms[i+1:]...)
		out = append(out, strings.Join(replaced, "-"), strings.Join(removed, "-"))
	}
	return out
}

// permutations of the hyphen-separated terms (GuardDog uses
// itertools.permutations; names with more than 6 terms are capped here to
// keep the run short, which only lowers GuardDog's flag count).
func permutations(p string) []string {
	if !strings.Contains(p, "-") {
		return nil
	}
	terms := strings.Split(p, "-")
	if len(terms) > 6 {
		return nil
	}
	var out []string
	var rec func(k int)
	rec = func(k int) {
		if k == len(terms) {
			out = append(out, strings.Join(terms, "-"))
			return
		}
		for i := k; i < len(terms); i++ {
			terms[k], terms[i] = terms[i], terms[k]
			rec(k + 1)
			terms[k], terms[i] = terms[i], terms[k]
		}
	}
	rec(0)
	return out
}
