//go:build linux

package bench

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// Ratio is the median of a set of ratios (traced over untraced, mostly)
// with its distribution-free 95 % confidence interval (medianCI).
type Ratio struct {
	Median float64 `json:"median"`
	Low    float64 `json:"ci_low"`
	High   float64 `json:"ci_high"`
}

func ratioOf(xs []float64) Ratio {
	m, lo, hi := medianCI(xs)
	return Ratio{m, lo, hi}
}

// plainResult is Result without its JSON methods.
type plainResult Result

// ratioKeys are the JSON names of Result's Ratio fields: the prefixes of
// their flat keys.
var ratioKeys = func() []string {
	var keys []string
	t := reflect.TypeFor[plainResult]()
	for i := range t.NumField() {
		if f := t.Field(i); f.Type == reflect.TypeFor[Ratio]() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			keys = append(keys, name)
		}
	}
	return keys
}()

// ratioParts are Ratio's JSON names, in its fields' order.
var ratioParts = []string{"median", "ci_low", "ci_high"}

// MarshalJSON writes each Ratio field tagged "P" as three flat keys,
// P_median, P_ci_low and P_ci_high, where the field is: the document keeps
// the keys it had before Ratio, in the same order.
func (r Result) MarshalJSON() ([]byte, error) {
	nested, err := json.Marshal(plainResult(r))
	if err != nil {
		return nil, err
	}
	fields, err := objectFields(nested)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte('{')
	put := func(key string, value []byte) {
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(value)
	}
	for _, f := range fields {
		if !slices.Contains(ratioKeys, f.key) {
			put(f.key, f.value)
			continue
		}
		parts, err := objectFields(f.value)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			put(f.key+"_"+p.key, p.value)
		}
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// UnmarshalJSON reads the flat keys MarshalJSON writes.
func (r *Result) UnmarshalJSON(data []byte) error {
	var flat map[string]json.RawMessage
	if err := json.Unmarshal(data, &flat); err != nil {
		return err
	}
	for _, key := range ratioKeys {
		nested := map[string]json.RawMessage{}
		for _, p := range ratioParts {
			if v, ok := flat[key+"_"+p]; ok {
				nested[p] = v
				delete(flat, key+"_"+p)
			}
		}
		if len(nested) > 0 {
			v, err := json.Marshal(nested)
			if err != nil {
				return err
			}
			flat[key] = v
		}
	}
	nested, err := json.Marshal(flat)
	if err != nil {
		return err
	}
	return json.Unmarshal(nested, (*plainResult)(r))
}

type jsonField struct {
	key   string
	value json.RawMessage
}

// objectFields splits a JSON object into its fields, in order.
func objectFields(object []byte) ([]jsonField, error) {
	dec := json.NewDecoder(bytes.NewReader(object))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out []jsonField
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, jsonField{t.(string), v})
	}
	return out, nil
}
