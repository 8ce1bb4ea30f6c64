package secrets

import (
	"testing"

	"github.com/stripeguard/stripeguard/internal/source/filekind"
)

// The "keys come from the environment" observation names the variable it
// saw, whole, and only when it is a Stripe credential: each shape has a twin.
func TestEnvReferenceNamesTheVariable(t *testing.T) {
	for _, tc := range []struct {
		kind filekind.Kind
		src  string
		want string // "" = no observation
	}{
		{filekind.Python, `KEY = os.environ["STRIPE_SECRET_KEY"]`, "STRIPE_SECRET_KEY"},
		// The anchor inside a longer name: the whole name, exactly.
		{filekind.Python, `WEBHOOK = os.environ["DJSTRIPE_WEBHOOK_SECRET"]`, "DJSTRIPE_WEBHOOK_SECRET"},
		{filekind.Python, `api_key = os.getenv("MYAPP_STRIPE_API_KEY")`, "MYAPP_STRIPE_API_KEY"},
		// Another product's secret in a Stripe-named setting.
		{filekind.Python, `SECRET_KEY = os.environ.get("DJSTRIPE_TEST_DJANGO_SECRET_KEY", "x")`, ""},
		{filekind.Python, `app.secret_key = os.environ["STRIPE_APP_FLASK_SECRET_KEY"]`, ""},
		{filekind.Python, `s = os.environ["STRIPE_SESSION_SECRET"]`, ""},
		// A foreign secret first, the Stripe key after it: the Stripe one.
		{filekind.Python, "DJ = os.environ['DJSTRIPE_TEST_DJANGO_SECRET_KEY']\nSK = os.environ['STRIPE_TEST_SECRET_KEY']", "STRIPE_TEST_SECRET_KEY"},
		{filekind.Python, `PK = os.environ["STRIPE_PUBLISHABLE_KEY"]`, ""},
		{filekind.Compose, `      STRIPE_API_KEY: ${STRIPE_API_KEY}`, "STRIPE_API_KEY"},
		{filekind.Compose, `      DJANGO_KEY: ${DJSTRIPE_TEST_DJANGO_SECRET_KEY}`, ""},
		{filekind.Env, "DJSTRIPE_WEBHOOK_SECRET=\n", "DJSTRIPE_WEBHOOK_SECRET"},
		{filekind.Env, "DJSTRIPE_TEST_DJANGO_SECRET_KEY=abc\n", ""},
	} {
		_, got := envReference([]byte(tc.src), tc.kind)
		if got != tc.want {
			t.Errorf("%q: %q, want %q", tc.src, got, tc.want)
		}
	}
}
