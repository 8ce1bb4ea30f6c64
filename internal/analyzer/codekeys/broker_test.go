package codekeys

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/mitigation"
	"github.com/stripeguard/stripeguard/internal/pyast"
	"github.com/stripeguard/stripeguard/internal/source"
)

// brokerObs runs the analyzer on an in-memory project and returns the
// keys.never-in-application observations as "state file:line".
func brokerObs(t *testing.T, files map[string]string) []string {
	t.Helper()
	var mods []*pyast.Module
	for rel, src := range files {
		m, err := pyast.ParseModule(rel, []byte(src), 0)
		if err != nil {
			t.Fatal(err)
		}
		mods = append(mods, m)
	}
	var c finding.Collector
	Analyze(pyast.NewProject(mods), &c)
	var out []string
	for _, o := range c.Observations {
		if o.Mitigation == mitigation.KeysNotInApp {
			out = append(out, fmt.Sprintf("%s %s:%d", o.State, o.File, o.Line))
			if strings.Contains(o.Detail, "sk_live_"+"Zq8") || strings.Contains(o.Detail, brokerTokenPrefix+"Tok") {
				t.Errorf("observation shows a secret: %s", o.Detail)
			}
		}
	}
	for _, f := range c.Findings {
		if f.RuleID == KeyHeldByApp.ID {
			if f.File != "" || len(f.Related) == 0 {
				t.Errorf("key-held-by-application is about the app: no location of its own, places in Related (%+v)", f)
				continue
			}
			out = append(out, fmt.Sprintf("finding %s:%d", f.Related[0].File, f.Related[0].Line))
			if strings.Contains(f.Message+f.Evidence, "sk_live_"+"Zq8") {
				t.Errorf("finding shows a secret: %s", f.Message)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Each way an app can be configured for the broker, with its twin that
// still holds a real key (or is not redirected).
func TestBrokerSetupShapes(t *testing.T) {
	liveKey := "sk_live_" + "Zq8Lr3Xv9TpW2mKc7NbY4HdF"
	token := brokerTokenPrefix + "TokenLiteralInCodeIsWorthlessOutside0000000"
	cases := []struct {
		name  string
		files map[string]string
		want  string // sorted observations joined by ", "
	}{
		{"flask globals from the environment", map[string]string{
			"app.py": "import os\nimport stripe\nstripe.api_key = os.environ['STRIPE_BROKER_TOKEN']\nstripe.api_base = os.environ['STRIPE_BROKER_URL']\n",
		}, "in-place app.py:3"},
		{"twin: base redirected, key still real", map[string]string{
			"app.py": "import os\nimport stripe\nstripe.api_key = os.environ['STRIPE_SECRET_KEY']\nstripe.api_base = os.environ['STRIPE_BROKER_URL']\n",
		}, "finding app.py:3"},
		{"django settings", map[string]string{
			"shop/settings.py": "import os\nSTRIPE_API_KEY = os.environ['STRIPE_BROKER_TOKEN']\nSTRIPE_API_BASE = 'http://stripe-broker:8790'\n",
			"shop/payments.py": "import stripe\nfrom django.conf import settings\nstripe.api_key = settings.STRIPE_API_KEY\nstripe.api_base = settings.STRIPE_API_BASE\n",
		}, "in-place shop/payments.py:3"},
		{"twin: django settings with a real key next to a broker client", map[string]string{
			"shop/settings.py": "import os\nSTRIPE_API_KEY = os.environ['STRIPE_SECRET_KEY']\n",
			"shop/payments.py": "import os\nimport stripe\nfrom django.conf import settings\nstripe.api_key = settings.STRIPE_API_KEY\nclient = stripe.StripeClient(os.environ['STRIPE_BROKER_TOKEN'], base_addresses={'api': 'http://127.0.0.1:8790'})\n",
		}, "missing shop/payments.py:4"},
		{"StripeClient with base_addresses", map[string]string{
			"billing.py": "import os\nfrom stripe import StripeClient\nBROKER = {'api': os.environ['STRIPE_BROKER_URL']}\nclient = StripeClient(os.environ['STRIPE_BROKER_TOKEN'], base_addresses=BROKER)\n",
		}, "in-place billing.py:4"},
		{"twin: StripeClient token but base left at api.stripe.com", map[string]string{
			"billing.py": "import os\nfrom stripe import StripeClient\nclient = StripeClient(os.environ['STRIPE_BROKER_TOKEN'], base_addresses={'api': 'https://api.stripe.com'})\n",
		}, ""},
		{"literal token and literal base", map[string]string{
			"app.py": "import stripe\nstripe.api_key = '" + token + "'\nstripe.api_base = 'http://127.0.0.1:8790'\n",
		}, "in-place app.py:2"},
		{"twin: hard-coded live key in another module", map[string]string{
			"app.py":    "import stripe\nstripe.api_key = '" + token + "'\nstripe.api_base = 'http://127.0.0.1:8790'\n",
			"worker.py": "import stripe\ndef job():\n    return stripe.Customer.list(api_key='" + liveKey + "')\n",
		}, "missing worker.py:3"},
		{"no broker at all: the app holds its key (info finding)", map[string]string{
			"app.py": "import os\nimport stripe\nstripe.api_key = os.environ['STRIPE_SECRET_KEY']\n",
		}, "finding app.py:3"},
		{"no broker, several places: one finding at the first", map[string]string{
			"b.py": "import os\nimport stripe\nclient = stripe.StripeClient(os.environ['STRIPE_SECRET_KEY'])\n",
			"a.py": "import os\nimport stripe\n\nstripe.api_key = os.getenv('STRIPE_SECRET_KEY')\n",
		}, "finding a.py:4"},
		{"no key configured in code at all: nothing to say", map[string]string{
			"app.py": "import stripe\ndef pay(amount):\n    return stripe.PaymentIntent.create(amount=amount, currency='eur')\n",
		}, ""},
		{"tests pointing at stripe-mock do not count", map[string]string{
			"app.py":            "import os\nimport stripe\nstripe.api_key = os.environ['STRIPE_BROKER_TOKEN']\nstripe.api_base = os.environ.get('STRIPE_API_BASE', 'http://127.0.0.1:8790')\n",
			"tests/conftest.py": "import stripe\nstripe.api_key = 'sk_test_' + 'x'\nstripe.api_base = 'http://localhost:12111'\n",
			"test_pay.py":       "import stripe\nstripe.api_key = '" + strings.Replace(liveKey, "live", "test", 1) + "'\n",
		}, "in-place app.py:3"},
		{"twin: base only sometimes redirected (defaults to api.stripe.com)", map[string]string{
			"app.py": "import os\nimport stripe\nstripe.api_key = os.environ['STRIPE_BROKER_TOKEN']\nstripe.api_base = os.environ.get('STRIPE_API_BASE', 'https://api.stripe.com')\n",
		}, ""},
	}
	for _, c := range cases {
		got := strings.Join(brokerObs(t, c.files), ", ")
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// The streamed analysis hands modules over one at a time (pyast.Stream);
// the broker decision still covers the whole scan: a token in one module
// and a real key in an unrelated one is missing, not in place.
func TestBrokerSetupStreamed(t *testing.T) {
	liveKey := "sk_live_" + "Zq8Lr3Xv9TpW2mKc7NbY4HdF"
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"token here, real key in an unrelated worker", map[string]string{
			"app.py":    "import os\nimport stripe\nstripe.api_key = os.environ['STRIPE_BROKER_TOKEN']\nstripe.api_base = os.environ['STRIPE_BROKER_URL']\n",
			"worker.py": "import os\nimport stripe\ndef job():\n    return stripe.Customer.list(api_key=os.environ['STRIPE_SECRET_KEY'])\n",
		}, "missing worker.py:4"},
		{"twin: token and base in two modules, no real key", map[string]string{
			"app.py":  "import os\nimport stripe\nstripe.api_key = os.environ['STRIPE_BROKER_TOKEN']\n",
			"conf.py": "import stripe\nstripe.api_base = 'http://127.0.0.1:8790'\n",
		}, "in-place app.py:3"},
		{"hard-coded live key elsewhere", map[string]string{
			"app.py":    "import os\nimport stripe\nstripe.api_key = os.environ['STRIPE_BROKER_TOKEN']\nstripe.api_base = 'http://127.0.0.1:8790'\n",
			"script.py": "import stripe\nstripe.api_key = '" + liveKey + "'\n",
		}, "missing script.py:2"},
	}
	for _, c := range cases {
		a := New()
		var sink finding.Collector
		ctx := context.Background()
		for rel, src := range c.files {
			f := &source.File{Rel: rel, Data: []byte(src)}
			if a.Wants(f) {
				a.File(ctx, f, &sink)
			}
		}
		a.Finish(ctx, &source.Project{}, &sink)
		var got []string
		for _, o := range sink.Observations {
			if o.Mitigation == mitigation.KeysNotInApp {
				got = append(got, fmt.Sprintf("%s %s:%d", o.State, o.File, o.Line))
			}
		}
		sort.Strings(got)
		if g := strings.Join(got, ", "); g != c.want {
			t.Errorf("%s: %q, want %q", c.name, g, c.want)
		}
	}
}
