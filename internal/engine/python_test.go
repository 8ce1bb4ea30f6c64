package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer/webhook"
	"github.com/stripeguard/stripeguard/internal/testutil"
)

// In staged mode the Python analyzers' cross-file pass must read the
// staged content of the modules it looks up, not the working tree.
func TestStagedPythonCrossFile(t *testing.T) {
	testutil.NeedProgram(t, "git")
	root := t.TempDir()
	gitRun(t, root, "init", "-q")
	write(t, root, "helpers.py", `import os

import stripe

SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")


def verify(req):
    return stripe.Webhook.construct_event(req.get_data(), req.headers.get("Stripe-Signature"), SECRET)
`)
	write(t, root, "app.py", `import stripe
from flask import Flask, abort, request

from helpers import verify

app = Flask(__name__)


@app.route("/stripe/webhook", methods=["POST"])
def stripe_webhook():
    try:
        event = verify(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    if event["type"] == "invoice.paid":
        print(event["data"]["object"]["id"])
    return "", 200
`)
	gitRun(t, root, "add", ".")
	// The working tree fixes the empty default; the commit would not.
	write(t, root, "helpers.py", strings.Replace(`import os

import stripe

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def verify(req):
    return stripe.Webhook.construct_event(req.get_data(), req.headers.get("Stripe-Signature"), SECRET)
`, "\t", "", -1))
	for _, staged := range []bool{true, false} {
		r, err := Run(context.Background(), Options{Root: root, Only: []string{webhook.Name}, Staged: staged})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range r.Findings {
			if f.RuleID == webhook.EmptySecret.ID && f.File == "helpers.py" && f.Line == 5 {
				found = true
			}
		}
		if found != staged {
			t.Errorf("staged=%v: empty-secret reported=%v (findings %d, warnings %+v)", staged, found, len(r.Findings), r.Warnings)
		}
		for _, w := range r.Warnings {
			t.Errorf("staged=%v: warning %s: %s", staged, w.File, w.Message)
		}
	}
}
