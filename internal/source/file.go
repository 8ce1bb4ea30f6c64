// Package source yields what the analyzers read: files of the working tree
// (walk.go), files staged for commit (staged.go) and members of archives and
// bytecode (expand.go). Sources know nothing about threats.
package source

import (
	"io/fs"
	"path"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
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
	// covers it (only local secret files, IsLocalSecretFile, are yielded
	// when ignored, so that permission and hygiene checks can see them).
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

// IsLocalSecretFile reports whether a base name is a file where keys are
// meant to live on a developer's machine or a server, kept out of git: a
// dotenv file, local settings (local_settings.py, settings_local.py,
// local.py), secrets and credentials files (secrets.json, .secrets.toml,
// credentials.json), *.local.* overrides. The walker shows them to the
// analyzers even when git ignores them, so that their permissions can be
// checked; a key in them is where it belongs when git ignores them.
func IsLocalSecretFile(base string) bool {
	b := strings.ToLower(base)
	if IsEnvLike(b) {
		return true
	}
	switch b {
	case "local_settings.py", "settings_local.py", "local.py", "secrets.py", "instance_config.py":
		return true
	}
	stem := strings.TrimPrefix(b, ".")
	return strings.HasPrefix(stem, "secrets.") ||
		stem == "credentials" || strings.HasPrefix(stem, "credentials.") ||
		strings.HasSuffix(stem, ".local") || strings.Contains(stem, ".local.")
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

// DecodeUTF16or32 converts text that starts with a UTF-16 or UTF-32
// byte-order mark (what Windows PowerShell 5 writes for `pip freeze >
// requirements.txt` or `Out-File .env`) to UTF-8, without the mark. The
// marks are checked in the order current pip checks them: the UTF-16 LE
// mark is a prefix of the UTF-32 LE one. ok is false for any other data.
func DecodeUTF16or32(data []byte) (text []byte, ok bool) {
	var le bool
	var width int
	switch {
	case len(data) >= 4 && data[0] == 0xff && data[1] == 0xfe && data[2] == 0 && data[3] == 0:
		le, width = true, 4
	case len(data) >= 4 && data[0] == 0 && data[1] == 0 && data[2] == 0xfe && data[3] == 0xff:
		width = 4
	case len(data) >= 2 && data[0] == 0xff && data[1] == 0xfe:
		le, width = true, 2
	case len(data) >= 2 && data[0] == 0xfe && data[1] == 0xff:
		width = 2
	default:
		return nil, false
	}
	body := data[width:]
	out := make([]byte, 0, len(body)/width+16)
	if width == 4 {
		for i := 0; i+3 < len(body); i += 4 {
			var r uint32
			if le {
				r = uint32(body[i]) | uint32(body[i+1])<<8 | uint32(body[i+2])<<16 | uint32(body[i+3])<<24
			} else {
				r = uint32(body[i+3]) | uint32(body[i+2])<<8 | uint32(body[i+1])<<16 | uint32(body[i])<<24
			}
			out = utf8.AppendRune(out, rune(r)) // invalid runes become U+FFFD
		}
		return out, true
	}
	u := make([]uint16, 0, len(body)/2)
	for i := 0; i+1 < len(body); i += 2 {
		if le {
			u = append(u, uint16(body[i])|uint16(body[i+1])<<8)
		} else {
			u = append(u, uint16(body[i+1])|uint16(body[i])<<8)
		}
	}
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out, true
}
