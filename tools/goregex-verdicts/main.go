// Command goregex-verdicts prints Go's own verdicts on regexp cases as JSON: whether
// regexp.Compile accepts each pattern (and its exact error text if not), and MatchString for
// each haystack. goregex's tests compare against its output (goregex/tests/data/go_verdicts.json).
//
// Usage: go run main.go < cases.json > verdicts.json
//
// Input: a JSON array of cases {"pattern": P, "haystacks": [H, ...]} where P and each H is a
// string, or {"parts": [[S, N], ...]} meaning S repeated N times, concatenated (for 1000-deep
// nesting or 2000-character literals); "note" is free text and ignored.
//
// Output: [{"pattern": P, "error": null | "<err.Error()>", "matches": [{"haystack": H, "match": B}]}]
// with every string spelled out. When the pattern is rejected, "matches" is empty.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// text is a string given literally or as repeated parts.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = text(s)
		return nil
	}
	var p struct {
		Parts [][2]json.RawMessage `json:"parts"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var sb strings.Builder
	for _, part := range p.Parts {
		var s string
		var n int
		if err := json.Unmarshal(part[0], &s); err != nil {
			return err
		}
		if err := json.Unmarshal(part[1], &n); err != nil {
			return err
		}
		sb.WriteString(strings.Repeat(s, n))
	}
	*t = text(sb.String())
	return nil
}

type inCase struct {
	Pattern   text   `json:"pattern"`
	Haystacks []text `json:"haystacks"`
	Note      string `json:"note,omitempty"`
}

type match struct {
	Haystack string `json:"haystack"`
	Match    bool   `json:"match"`
}

type verdict struct {
	Pattern string  `json:"pattern"`
	Error   *string `json:"error"`
	Matches []match `json:"matches"`
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cases []inCase
	if err := json.Unmarshal(in, &cases); err != nil {
		fmt.Fprintln(os.Stderr, "reading cases:", err)
		os.Exit(1)
	}
	out := make([]verdict, 0, len(cases))
	for _, c := range cases {
		v := verdict{Pattern: string(c.Pattern), Matches: []match{}}
		re, err := regexp.Compile(string(c.Pattern))
		if err != nil {
			msg := err.Error()
			v.Error = &msg
		} else {
			for _, h := range c.Haystacks {
				v.Matches = append(v.Matches, match{Haystack: string(h), Match: re.MatchString(string(h))})
			}
		}
		out = append(out, v)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(buf.Bytes())
}
