// Command porcupine-driver reads histories (one JSON object per line, as
// test/differential/run.mjs writes them) and prints Porcupine's verdict for each:
// "<id> linearizable|not-linearizable|unknown".
//
// Models, written the way Porcupine's own tests write theirs (porcupine_test.go):
//   - register, cas-register: one value; a read of nil matches any state (Knossos's
//     convention, which zablab check follows); a cas that is "casfalse" ran and found
//     another value (Porcupine's etcd model);
//   - kv: Porcupine's kv model (get, put, append on string keys), partitioned per key.
//
// An operation whose outcome is unknown (Jepsen's :info) returns at +infinity and accepts
// any output, as Porcupine's etcd test reads timed-out operations: it may take effect at
// any time after its call, and taking effect last is the same as never.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"zablab/differential/porcupine"
)

type op struct {
	P       int             `json:"p"`
	Call    int64           `json:"call"`
	Ret     *int64          `json:"ret"` // nil: unknown outcome
	F       string          `json:"f"`
	Key     string          `json:"key"`
	Arg     json.RawMessage `json:"arg"`
	Out     json.RawMessage `json:"out"`
	Outcome string          `json:"outcome"` // ok | info | casfalse
}

type history struct {
	ID      string          `json:"id"`
	Model   string          `json:"model"`
	Initial json.RawMessage `json:"initial"`
	Ops     []op            `json:"ops"`
}

type input struct {
	f    string
	key  string
	arg  string // canonical JSON; "null" for nil
	from string // cas
	to   string // cas
}

type output struct {
	value   string // canonical JSON of what a read/get returned; "null" for nil
	outcome string
}

func canon(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var v interface{}
	if err := json.Unmarshal(raw, &v); err != nil {
		panic(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func text(raw json.RawMessage) string {
	var s *string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil || s == nil {
		return ""
	}
	return *s
}

func registerModel(initial string, allowCas bool) porcupine.Model {
	return porcupine.Model{
		Init: func() interface{} { return initial },
		Step: func(state, in, out interface{}) (bool, interface{}) {
			st := state.(string)
			i := in.(input)
			o := out.(output)
			switch i.f {
			case "read":
				return o.outcome == "info" || o.value == "null" || o.value == st, st
			case "write":
				return true, i.arg
			case "cas":
				if !allowCas {
					return false, st
				}
				switch o.outcome {
				case "ok":
					return st == i.from, i.to
				case "casfalse":
					return st != i.from, st
				default: // info: ran and succeeded or failed, or (at +inf) never
					if st == i.from {
						return true, i.to
					}
					return true, st
				}
			}
			return false, st
		},
	}
}

var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, o := range h {
			k := o.Input.(input).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], o)
		}
		var parts [][]porcupine.Operation
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() interface{} { return "" },
	Step: func(state, in, out interface{}) (bool, interface{}) {
		st := state.(string)
		i := in.(input)
		o := out.(output)
		switch i.f {
		case "get":
			return o.outcome == "info" || o.value == st, st
		case "put":
			return true, i.arg
		case "append":
			return true, st + i.arg
		}
		return false, st
	},
}

func main() {
	timeout := 10 * time.Second
	if s := os.Getenv("PORCUPINE_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "PORCUPINE_TIMEOUT:", err)
			os.Exit(2)
		}
		timeout = d
	}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		var h history
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			fmt.Fprintln(os.Stderr, "bad line:", err)
			os.Exit(2)
		}
		var model porcupine.Model
		switch h.Model {
		case "register", "cas-register":
			model = registerModel(canon(h.Initial), h.Model == "cas-register")
		case "kv":
			model = kvModel
		default:
			fmt.Fprintln(os.Stderr, "unknown model", h.Model)
			os.Exit(2)
		}
		ops := make([]porcupine.Operation, 0, len(h.Ops))
		for _, o := range h.Ops {
			in := input{f: o.F, key: o.Key}
			out := output{outcome: o.Outcome}
			if h.Model == "kv" {
				in.arg = text(o.Arg)
				out.value = text(o.Out)
			} else {
				in.arg = canon(o.Arg)
				out.value = canon(o.Out)
				if o.F == "cas" {
					var pair []json.RawMessage
					if err := json.Unmarshal(o.Arg, &pair); err != nil || len(pair) != 2 {
						fmt.Fprintln(os.Stderr, h.ID, "cas arg is not a pair")
						os.Exit(2)
					}
					in.from, in.to = canon(pair[0]), canon(pair[1])
				}
			}
			ret := int64(math.MaxInt64)
			if o.Ret != nil {
				ret = *o.Ret
			}
			ops = append(ops, porcupine.Operation{ClientId: o.P, Input: in, Call: o.Call, Output: out, Return: ret})
		}
		var verdict string
		switch porcupine.CheckOperationsTimeout(model, ops, timeout) {
		case porcupine.Ok:
			verdict = "linearizable"
		case porcupine.Illegal:
			verdict = "not-linearizable"
		default:
			verdict = "unknown"
		}
		fmt.Fprintf(w, "%s %s\n", h.ID, verdict)
	}
}
