package pyast

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

func TestOutline(t *testing.T) {
	src := []byte(`import os

@decorator(
    "x")
def top(a, b=(1,
        2)) -> dict[str, int]:
    """Doc with def inside: def fake():
    """
    s = 'not a # comment'  # a comment with def x():
    if a:
        return helper(a)
    def nested():
        return api_key
    return {"k": b}


class C(Base):
    X = 1

    def method(self):
        log.info("secret %s", self.x)

    async def amethod(self): return 1

    def last(self):
        pass
def after(): pass
def tail():
    x = [
1, 2]
    return x
`)
	o := OutlineOf(src)
	bodies, top := o.Bodies, o.TopCalls
	var got []string
	for _, b := range bodies {
		body := string(src[b.Start:b.End])
		if !strings.HasPrefix(body, b.Indent) || (b.Start > 0 && src[b.Start-1] != '\n') || (b.End < len(src) && src[b.End-1] != '\n') {
			t.Errorf("%s: body %q is not whole lines", b.Name, body)
		}
		got = append(got, fmt.Sprintf("%s:%d-%d key=%v", b.Name, lineOf(src, b.Start), lineOf(src, b.End), b.Anchors&AKeyName != 0))
	}
	want := []string{"top:7-17 key=true", "method:21-23 key=true", "last:26-27 key=false", "tail:29-32 key=false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bodies\n got %v\nwant %v", got, want)
	}
	sort.Strings(top)
	if !reflect.DeepEqual(top, []string{"decorator"}) {
		t.Errorf("top-level calls %v", top)
	}
	if c := bodies[0].Calls; !reflect.DeepEqual(c, []string{"helper"}) {
		t.Errorf("calls of top %v", c)
	}
	if bodies[1].Class != "C" || bodies[0].Class != "" || !o.KeyishClasses["C"] {
		t.Errorf("classes: %q %q %v", bodies[0].Class, bodies[1].Class, o.KeyishClasses)
	}
}

func TestOutlineTaint(t *testing.T) {
	src := []byte(`import os, stripe
import config as cfg
from flask import request
from .settings import STRIPE_KEY as k, other
from settings import (
    a,
    b as c,
)
KEY = os.environ["STRIPE_SECRET_KEY"]
alias = KEY
plain = os.getcwd()
logger = logging.getLogger(__name__)
x: int = 1
if True:
    derived = alias + "x"
def f():
    inner = KEY
`)
	o := OutlineOf(src)
	var got []string
	for n := range o.Taint {
		got = append(got, n)
	}
	sort.Strings(got)
	want := []string{"KEY", "a", "alias", "c", "cfg", "derived", "k", "other"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("taint %v, want %v", got, want)
	}
}

func lineOf(src []byte, off int) int { return strings.Count(string(src[:off]), "\n") + 1 }

// Dropping bodies keeps the module model: same functions (lines, params,
// decorators), classes, globals and imports, positions in the original
// bytes, and no syntax error where the whole file has none.
func TestSkippingKeepsModel(t *testing.T) {
	lib := ""
	for _, d := range []string{"/usr/lib/python3.11", "/root/.pyenv/versions/3.11.7/lib/python3.11"} {
		if _, err := os.Stat(filepath.Join(d, "os.py")); err == nil {
			lib = d
			break
		}
	}
	if lib == "" {
		testutil.Unavailable(t, "no CPython standard library found")
	}
	files, _ := filepath.Glob(filepath.Join(lib, "*.py"))
	more, _ := filepath.Glob(filepath.Join(lib, "*", "*.py"))
	more2, _ := filepath.Glob(filepath.Join(lib, "*", "*", "*.py"))
	more = append(more, more2...)
	files = append(files, more...)
	// Every fourth file: a spread of the library in a few seconds.
	var sample []string
	for i := 0; i < len(files); i += 4 {
		sample = append(sample, files[i])
	}
	files = sample
	checked := 0
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err != nil || len(src) > MaxFileSize {
			continue
		}
		full, err := ParseModule(p, src, 10*time.Second)
		if err != nil || full.HasError {
			continue
		}
		bodies := OutlineOf(src).Bodies
		skip, err := ParseModuleSkipping(p, src, bodies, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if skip.HasError {
			t.Errorf("%s: syntax error once bodies are dropped", p)
			continue
		}
		checked++
		if a, b := describe(full), describe(skip); !reflect.DeepEqual(a, b) {
			for i := range a {
				if i >= len(b) || a[i] != b[i] {
					t.Errorf("%s: model differs at %q", p, a[i])
					break
				}
			}
			if len(a) != len(b) {
				t.Errorf("%s: %d vs %d model entries", p, len(a), len(b))
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d files checked", checked)
	}
}

// describe lists what the analyses read from a module outside function
// bodies.
func describe(m *Module) []string {
	var out []string
	for _, f := range m.Funcs {
		if f.Outer != nil {
			continue
		}
		var ps, ds []string
		for _, p := range f.Params {
			ps = append(ps, p.Name+"="+m.Text(p.Default))
		}
		for _, d := range f.Decorators {
			ds = append(ds, m.Text(d))
		}
		out = append(out, fmt.Sprintf("func %s line %d col %d params %v decorators %v async %v", f.Qual, f.Node.Line, f.Node.Col, ps, ds, f.Async))
	}
	for n, c := range m.Classes {
		var attrs []string
		for k, v := range c.Attrs {
			attrs = append(attrs, k+"="+m.Text(v))
		}
		sort.Strings(attrs)
		out = append(out, fmt.Sprintf("class %s line %d bases %v attrs %v", n, c.Node.Line, c.Bases, attrs))
	}
	for k, vs := range m.Globals {
		for _, v := range vs {
			out = append(out, fmt.Sprintf("global %s = %s @%d", k, m.Text(v), v.Line))
		}
	}
	for k, v := range m.Imports {
		out = append(out, "import "+k+" "+v)
	}
	sort.Strings(out)
	return out
}
