package guard

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEventID(t *testing.T) {
	tests := []struct {
		body string
		want string // "" = error
	}{
		{`{"id":"evt_1"}`, "evt_1"},
		{` {"object":"event", "id" : "evt_2" } `, "evt_2"},
		{`{"data":{"object":{"id":"pi_1"}},"id":"evt_3"}`, "evt_3"},
		{`{"data":{"id":"pi_1"}}`, ""},
		{`{"a":[{"id":"x"},"id",{"b":"}"}],"id":"evt_4"}`, "evt_4"},
		{`{"s":"he said \"id\":\"evt_fake\"","id":"evt_5"}`, "evt_5"},
		{`{"id":"evt_first","id":"evt_last"}`, "evt_last"}, // json.loads: last wins
		{`{"id":"evt_str","id":5}`, ""},
		{`{"\u0069d":"evt_esc"}`, "evt_esc"},
		{`{"id":"evt_\u00e9"}`, "evt_é"},
		{`{"id":""}`, ""},
		{`{"id":5}`, ""},
		{`{"id":null}`, ""},
		{`[{"id":"evt_1"}]`, ""},
		{`{"id":"evt_1"`, ""},
		{`{"id":"evt_1"}}`, ""},
		{`{"id":"evt_1"} x`, ""},
		{`{"id":"evt_1",}`, ""},
		{`{}`, ""},
		{``, ""},
		{`{"id":"evt_1","n":-1.5e+3,"t":true,"f":false,"z":null,"e":[],"o":{}}`, "evt_1"},
		{`{"id":"` + strings.Repeat("a", 300) + `"}`, ""},
		{"{\"id\":\"evt_\xff\"}", ""},
		{`{"x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `,"id":"evt_deep"}`, ""},
	}
	for _, tc := range tests {
		got, err := EventID([]byte(tc.body))
		if tc.want == "" {
			if err == nil {
				t.Errorf("EventID(%.60q) = %q, want error", tc.body, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("EventID(%.60q) = %q, %v; want %q", tc.body, got, err, tc.want)
		}
		// Cross-check with encoding/json on the valid ones.
		var m map[string]any
		if json.Unmarshal([]byte(tc.body), &m) == nil && m["id"] != tc.want {
			t.Errorf("encoding/json disagrees on %.60q: %v", tc.body, m["id"])
		}
	}
}

func FuzzEventID(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","data":{"id":"x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := EventID(b)
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return // we are lenient on some invalid documents; never on the key
		}
		var s string
		if json.Unmarshal(m["id"], &s) != nil || s != id {
			t.Fatalf("EventID=%q, encoding/json id=%s", id, m["id"])
		}
	})
}
