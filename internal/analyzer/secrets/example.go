package secrets

// An API schema example (OpenAPI "example"/"examples", a pydantic
// Field(examples=[…]), a JSDoc @example, a YAML example: key) documents
// what a value looks like. Generated clients and published specs copy it
// into thousands of lines (seen in polar: one whsec_ example in a pydantic
// schema, repeated in the OpenAPI JSON of every API version and the
// TypeScript client). A webhook secret or test key there is most often
// made up; if it is real it is still a leak, so it is reported, low.

// exampleLookBack bounds how far before a key the example label is looked
// for: the label sits on the key's line or the one before it.
const exampleLookBack = 160

// InExample reports whether the key starting at data[start] is the value
// of an example label: going back from the key over quotes, brackets,
// separators and white space only, the first word is example or examples
// (any case, optionally with a prefix such as openapi_examples or @).
func InExample(data []byte, start int) bool {
	i := start - 1
	lim := start - exampleLookBack
	if lim < 0 {
		lim = 0
	}
	for i >= lim {
		switch data[i] {
		case ' ', '\t', '\r', '\n', '"', '\'', '`', '[', '(', '{', ':', '=', ',', '-':
			i--
			continue
		}
		break
	}
	if i < lim {
		return false
	}
	end := i + 1
	for i >= lim && isWord(data[i]) {
		i--
	}
	word := data[i+1 : end]
	return hasSuffixFold(word, "examples") || hasSuffixFold(word, "example")
}

func hasSuffixFold(b []byte, suffix string) bool {
	if len(b) < len(suffix) {
		return false
	}
	b = b[len(b)-len(suffix):]
	for i := 0; i < len(suffix); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suffix[i] {
			return false
		}
	}
	return true
}

// ExampleSeverity is the severity of a credential found as a schema
// example: low for webhook secrets and test keys (like test fixtures),
// SeverityUnknown (keep the rule's) for live keys, which are critical
// wherever they are written down.
var ExampleSeverity = TestFixtureSeverity

// ExampleContext is the finding context of a key found as a schema
// example.
const ExampleContext = "schema example"

// ExampleNote is appended to the message of a key found as a schema
// example.
const ExampleNote = ", as an API schema example (documentation: harmless if made up; if it is a real secret, roll it)"
