package history

import (
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/rules"
)

// MitigationRotated is the key-exposure checklist item this analyzer
// decides (declared in internal/mitigation's catalogue with CheckedBy
// "history").
const MitigationRotated = "keys.rotated-after-exposure"

func init() {
	rules.Register(Rules...)
	// History runs only when asked for: a scan without it says how.
	mitigation.DescribeChecker(Name, "`stripeguard scan --history` (every commit of every ref)")
}

// Rules of the history scan.
var Rules = []*rules.Rule{KeyInHistory, RevokedKeyInHistory}

var (
	// KeyInHistory takes the severity of the detector that recognised the
	// key (critical for sk_live_, medium for test keys, ...).
	KeyInHistory = &rules.Rule{
		ID: "history/key-in-history", Threat: finding.KeyExposure, Severity: finding.Critical,
		Name: "Stripe secret in git history",
		Description: "A Stripe secret key, restricted key or webhook signing secret was committed. Deleting it in a later commit does not remove it: every clone, fork, CI cache and backup of the repository keeps the history, and `git log -p` shows it to anyone who can read the repository. " +
			"Objects no ref reaches any more (amended or rebased commits, dropped stashes, files staged and never committed) stay in the object store until garbage collection, and a host that received a push may serve them by id. " +
			"One finding per distinct secret, located where it was introduced; the finding says how many commits and paths carry it and whether it is still in the working tree. " +
			"Its severity is the detector's for that credential: critical for sk_live_, high for rk_live_ and whsec_, medium for test keys.",
		Mitigation:   "Rotate this key in the Stripe dashboard (Developers > API keys > Roll key; for a whsec_ secret, Webhooks > endpoint > Roll secret); removing it from the code does not revoke it. Then read it from the environment or a secret manager. Rewriting history (git filter-repo) is optional cleanup after rotation, never a substitute.",
		MitigationID: MitigationRotated,
		Vulnerable:   "git log -p | grep sk_live_   # a key deleted in a later commit",
		Fixed:        "the key was rolled in the dashboard; the committed value no longer works",
		HelpURI:      "https://docs.stripe.com/keys#rolling-keys",
	}
	RevokedKeyInHistory = &rules.Rule{
		ID: "history/revoked-key-in-history", Threat: finding.KeyExposure, Severity: finding.Info,
		Name:        "Revoked Stripe key in git history",
		Description: "A key in git history that the Stripe API rejects (stripeguard scan --history --verify): it was rolled or deleted, so the copy in history is harmless. Reported so the inventory of exposed keys is complete.",
		Mitigation:  "Nothing is required: the key no longer works. Keep reading keys from the environment so the next one does not end up in history.",
		Vulnerable:  "sk_live_… in commit 1a2b3c, Stripe answers 401",
		Fixed:       "(already rotated)",
	}
)
