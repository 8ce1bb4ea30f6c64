package secrets

import (
	"testing"

	"github.com/stripeguard/stripeguard/internal/analyzer"
	"github.com/stripeguard/stripeguard/internal/analyzer/secrets/secretstest"
	"github.com/stripeguard/stripeguard/internal/finding"
	"github.com/stripeguard/stripeguard/internal/source"
)

// TestSchemaExamples: a webhook secret or test key written as an API
// schema example (OpenAPI JSON/YAML, a JSDoc @example, pydantic
// Field(examples=…)) is reported low with the example context; the same
// value as a plain setting, a live key in an example, or an example label
// that does not lead to the value keep their severity.
func TestSchemaExamples(t *testing.T) {
	wh := whsec + secretstest.Body(32, 70)
	test := secretstest.Key(skTest, 99, 71)
	live := secretstest.Key(skLive, 99, 72)
	tests := []struct {
		name, rel, data string
		severity        finding.Severity
		example         bool
	}{
		{"openapi examples array", "docs/openapi.json", "\"secret\": {\n  \"type\": \"string\",\n  \"examples\": [\n    \"" + wh + "\"\n  ]\n}\n", finding.Low, true},
		{"openapi example", "api/openapi.json", `{"example": "` + wh + `"}`, finding.Low, true},
		{"yaml example", "openapi.yaml", "secret:\n  type: string\n  example: " + wh + "\n", finding.Low, true},
		{"yaml examples list", "openapi.yaml", "secret:\n  examples:\n    - " + test + "\n", finding.Low, true},
		{"jsdoc", "client/src/v1.ts", "/**\n * @example " + wh + "\n */\nsecret: string;\n", finding.Low, true},
		{"pydantic", "app/schemas.py", "secret: str = Field(examples=[\"" + wh + "\"])\n", finding.Low, true},
		{"openapi_examples keyword", "app/api.py", "Body(openapi_examples={\"a\": \"" + wh + "\"})\n", finding.High, false},
		{"case", "docs/api.yaml", "Example: " + wh + "\n", finding.Low, true},

		// Twins.
		{"json setting", "config.json", `{"stripe": {"secret": "` + wh + `"}}`, finding.High, false},
		{"yaml setting after example", "config.yaml", "example: true\nsecret: " + wh + "\n", finding.High, false},
		{"python comment label", "app/settings.py", "# example\nSECRET = \"" + wh + "\"\n", finding.High, false},
		{"live key in example", "docs/openapi.json", `{"example": "` + live + `"}`, finding.Critical, false},
		{"test key setting", "config.yaml", "stripe:\n  key: " + test + "\n", finding.Medium, false},
		{"label far away", "spec.json", "{\"examples\": [" + pad(200) + "\"" + wh + "\"]}", finding.High, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := run(&source.File{Rel: tt.rel, Data: []byte(tt.data), Tracked: true}, analyzer.Options{})
			var got *finding.Finding
			for _, f := range c.Findings {
				if f.Secret != "" {
					got = f
				}
			}
			if got == nil {
				t.Fatal("no key finding")
			}
			if got.Severity != tt.severity || (got.Context == ExampleContext) != tt.example {
				t.Fatalf("%s: severity %s context %q, want %s example=%v", got.RuleID, got.Severity, got.Context, tt.severity, tt.example)
			}
		})
	}
}

// pad is n bytes of white space: a label further back than exampleLookBack.
func pad(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}

func TestInExampleBounds(t *testing.T) {
	for _, s := range []string{"", "x", "example"} {
		for i := 0; i <= len(s); i++ {
			InExample([]byte(s), i) // must not panic at any offset
		}
	}
}
