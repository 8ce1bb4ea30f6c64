// Package source yields what the analyzers read: files of the working tree
// (walk.go), files staged for commit (staged.go) and members of archives and
// bytecode (expand.go). Sources know nothing about threats.
package source

import (
	"io/fs"
	"path"
	"strings"
)

// File is one readable unit handed to the file analyzers.
type File struct {
	// Rel is '/'-separated and relative to the scanned root; members of a
	// container are written "outer.zip!inner/path".
	Rel string
	// Abs is the path on disk, empty for archive members and staged blobs.
	Abs  string
	Mode fs.FileMode
	Size int64
	Data []byte
	// Tracked: git tracks this path. Ignored: .gitignore or an exclude
	// covers it (only env-like files are yielded when ignored, so that
	// permission and hygiene checks can see them).
	Tracked bool
	Ignored bool
	// Container describes how the text was obtained when it is not the
	// file itself: "zip member", "gzip stream", "pyc string constants".
	Container string
}

// Base is the last element of the path inside any container.
func (f *File) Base() string {
	p := f.Rel
	if i := strings.LastIndexByte(p, '!'); i >= 0 {
		p = p[i+1:]
	}
	return path.Base(p)
}

// Inner is the path inside the innermost container (the whole path for a
// plain file); file kinds are decided on it.
func (f *File) Inner() string {
	if i := strings.LastIndexByte(f.Rel, '!'); i >= 0 {
		return f.Rel[i+1:]
	}
	return f.Rel
}

// IsEnvLike reports whether a base name is a dotenv-style file (.env,
// .env.production, prod.env, .envrc). Such files hold secrets by design, so
// the walker shows them to the analyzers even when git ignores them.
func IsEnvLike(base string) bool {
	b := strings.ToLower(base)
	return b == ".env" || b == ".envrc" || strings.HasPrefix(b, ".env.") || strings.HasSuffix(b, ".env")
}

// Project is what project-level analyzers (dependency audit, git history)
// get: the root and what the walk learned about it.
type Project struct {
	Root string
	// EnvDirs are virtualenvs / site-packages directories found in the tree
	// (relative, '/'-separated). The key walk skips them by default; the
	// dependency audit reads their metadata.
	EnvDirs []string
	// GitTop is the work tree top-level when the root is inside a git
	// repository, else "".
	GitTop string
	// Excluded reports whether the user's excludes cover a relative path.
	Excluded func(rel string, isDir bool) bool
}
