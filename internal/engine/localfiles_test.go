package engine

import (
	"strings"
	"testing"
)

// Git-ignored local secret files (.env, local_settings.py, .secrets.toml,
// config.local.json) reach the analyzers, flagged Ignored, so that their
// permissions can be checked; other ignored files stay out.
func TestIgnoredLocalSecretFilesAreYielded(t *testing.T) {
	root := t.TempDir()
	write(t, root, ".gitignore", "local_settings.py\n.secrets.toml\n*.local.json\nbuild.py\n.env\n")
	write(t, root, "shop/local_settings.py", "KEY = 'TOKEN_local'\n")
	write(t, root, ".secrets.toml", "key = 'TOKEN_dynaconf'\n")
	write(t, root, "config.local.json", "{\"k\": \"TOKEN_json\"}\n")
	write(t, root, ".env", "K= TOKEN_env\n")
	write(t, root, "build.py", "TOKEN_build\n")
	files, _, _ := scan(t, root, nil)
	want := []string{".env", ".secrets.toml", "config.local.json", "shop/local_settings.py"}
	if strings.Join(files, ",") != strings.Join(want, ",") {
		t.Errorf("scanned %v, want %v", files, want)
	}
}
