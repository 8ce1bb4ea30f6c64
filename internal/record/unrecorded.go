package record

import (
	"io/fs"
	"path"
	"strings"
)

// codeExt are the files Python can load: an unrecorded one in a package
// directory or at the top of site-packages is code no installer put there.
// .pyc counts outside __pycache__ (a sourceless module is importable).
var codeExt = map[string]bool{
	".py": true, ".pyw": true, ".pyc": true, ".so": true, ".pyd": true, ".dylib": true, ".dll": true, ".pth": true,
}

// startupModules are imported by site.py at every interpreter start.
var startupModules = map[string]bool{"sitecustomize": true, "usercustomize": true}

// envFiles are written by environment managers without a RECORD; value is
// the exact content expected ("" = any). virtualenv adds _virtualenv.py and
// a .pth that imports it; setuptools' develop mode (old) wrote
// easy-install.pth with a known import preamble.
var envFiles = map[string]func([]byte) bool{
	"_virtualenv.py":  func([]byte) bool { return true },
	"_virtualenv.pth": func(b []byte) bool { return strings.TrimSpace(string(b)) == "import _virtualenv" },
	// setuptools' shim, shipped unrecorded by distribution packages.
	"distutils-precedence.pth": func(b []byte) bool {
		l := strings.TrimSpace(string(b))
		return !strings.Contains(l, "\n") && strings.HasPrefix(l, "import os; var = 'SETUPTOOLS_USE_DISTUTILS';") &&
			strings.HasSuffix(l, "__import__('_distutils_hack').add_shim();") && strings.Count(l, "__import__") == 1
	},
	"easy-install.pth": func(b []byte) bool {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "import") && !strings.HasPrefix(l, "import sys; sys.__plen") && !strings.HasPrefix(l, "import sys; new = sys.path[sys.__plen:]") {
				return false
			}
		}
		return true
	},
}

// unrecorded looks for code in site that no RECORD lists. In a directory
// the OS package manager owns (dist-packages), whose files dpkg records
// rather than RECORD, only code that runs at every interpreter start is
// reported: executable .pth files and sitecustomize/usercustomize.
func (v *verifier) unrecorded(site string, dists []*Dist, managed bool) {
	ents, err := fs.ReadDir(v.fsys, site)
	if err != nil {
		v.warn(site, 0, "cannot list site-packages: %v", err)
		return
	}
	budget := maxWalkFiles
	for _, e := range ents {
		name := e.Name()
		p := path.Join(site, name)
		if e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		if e.IsDir() {
			if managed {
				continue
			}
			if name == "__pycache__" || strings.HasSuffix(name, ".dist-info") || strings.HasSuffix(name, ".egg-info") ||
				strings.HasSuffix(name, ".egg") || strings.HasSuffix(name, ".data") {
				continue
			}
			owners := v.res.Owners[site+"\x00"+name]
			if len(owners) == 0 {
				if v.hasCode(p, &budget) {
					v.problem(nil, &Problem{Kind: UnownedPackage, Path: p, Detail: "package directory that no installed distribution records"})
				}
				continue
			}
			if !allRecorded(owners) {
				continue // an egg-info owner: not verifiable
			}
			v.walkOwned(p, owners[0], &budget)
			continue
		}
		ext := path.Ext(name)
		if !codeExt[ext] || v.recorded[p] {
			continue
		}
		mod := name
		if i := strings.IndexByte(name, '.'); i > 0 {
			mod = name[:i]
		}
		if owners := v.res.Owners[site+"\x00"+mod]; len(owners) > 0 && !allRecorded(owners) {
			continue
		}
		if ok := envFiles[name]; ok != nil {
			if b, err := readLimited(v.fsys, p, 1<<20); err == nil && ok(b) {
				continue
			}
		}
		pr := &Problem{Kind: Unrecorded, Path: p, Detail: "at the top of site-packages, recorded by no distribution", Startup: startupModules[mod]}
		if managed && !pr.Startup && !(ext == ".pth" && v.executablePth(p)) {
			continue
		}
		var owner *Dist
		if owners := v.res.Owners[site+"\x00"+mod]; len(owners) > 0 {
			owner = owners[0]
			pr.Detail = "beside " + owner.Name + "'s files, not in its RECORD"
		}
		v.problem(owner, pr)
	}
}

func allRecorded(ds []*Dist) bool {
	for _, d := range ds {
		if !d.HasRecord || d.Managed {
			return false
		}
	}
	return true
}

// walkOwned reports unrecorded code files inside a package directory.
func (v *verifier) walkOwned(dir string, owner *Dist, budget *int) {
	_ = fs.WalkDir(v.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		*budget--
		if *budget <= 0 {
			return fs.SkipAll
		}
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 || !codeExt[path.Ext(p)] || v.recorded[p] {
			return nil
		}
		v.problem(owner, &Problem{Kind: Unrecorded, Path: p, Detail: "inside " + owner.Name + "'s package, not in its RECORD"})
		return nil
	})
}

// hasCode reports whether a directory holds Python code (bounded walk).
func (v *verifier) hasCode(dir string, budget *int) bool {
	found := false
	_ = fs.WalkDir(v.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		*budget--
		if *budget <= 0 {
			return fs.SkipAll
		}
		if !d.IsDir() && d.Type()&fs.ModeSymlink == 0 && codeExt[path.Ext(p)] && path.Ext(p) != ".pth" {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}
