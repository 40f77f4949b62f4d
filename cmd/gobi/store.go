package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gobi-os/gobi/store"
)

const storeUsage = `usage: gobi store [-C DIR] <command> [flags] [arguments]

commands:
  init DIR                      create a store (a bare Git repository, HEAD → main)
  get [-b BRANCH] [-json] KEY   print a value's bytes (exit 1 if absent)
  set [-b BRANCH] [-m MSG] [-t TYPE] KEY VALUE
                                set a key (VALUE - reads stdin)
  rm [-b BRANCH] [-m MSG] KEY   remove a key or directory
  ls [-b BRANCH] [-json] [DIR]  list a directory
  tree [-b BRANCH] [-json] [PREFIX]
                                print every key and value under PREFIX
  log [-b BRANCH] [-n N] [-json]
                                show history
  branch [-d] [-json] [NEW [FROM]]
                                list, create or (-d) delete branches
  merge [-b INTO] [-m MSG] [-json] FROM
                                merge FROM (exit 1 on conflict)
  conflicts [-b BRANCH] [-json] list pending conflicts
  resolve [-b BRANCH] [-take ours|theirs|base] [-t TYPE] KEY [VALUE]
                                resolve a pending conflict
  revert [-b BRANCH] [-m MSG] COMMIT
                                commit the tree of COMMIT on top of BRANCH
  watch [-b BRANCH] [-json] [PREFIX]
                                print changes as they happen
  clone, fetch, pull, push, serve
                                sync with Git remotes; serve a store

Run gobi store <command> -h for a command's flags. Types for -t: bytes
(default), counter, lww, set, map, log, json; see docs/store.md.
`

// runStore runs `gobi store ...`: it parses -C DIR and dispatches.
func runStore(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gobi store", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("C", "", "the store's directory (default .)")
	fs.Usage = func() { fmt.Fprint(stderr, storeUsage) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, storeUsage)
		return 2
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	remote := map[string]func(context.Context, string, []string, io.Reader, io.Writer, io.Writer) int{
		"clone": storeClone, "fetch": storeFetch, "pull": storePull, "push": storePush, "serve": storeServe,
	}
	if f, ok := remote[cmd]; ok {
		return f(ctx, *dir, rest, stdin, stdout, stderr)
	}
	local := map[string]func(*storeCmd) error{
		"get": cmdGet, "set": cmdSet, "rm": cmdRm, "ls": cmdLs, "tree": cmdTree, "log": cmdLog,
		"branch": cmdBranch, "merge": cmdMerge, "conflicts": cmdConflicts, "resolve": cmdResolve,
		"revert": cmdRevert, "watch": cmdWatch,
	}
	if cmd == "help" {
		fmt.Fprint(stdout, storeUsage)
		return 0
	}
	if cmd == "init" {
		return storeInit(*dir, rest, stdout, stderr)
	}
	f, ok := local[cmd]
	if !ok {
		fmt.Fprintf(stderr, "gobi store: unknown command %q\n%s", cmd, storeUsage)
		return 2
	}
	c := &storeCmd{ctx: ctx, name: cmd, dir: *dir, stdin: stdin, stdout: stdout, stderr: stderr, status: 0}
	c.flags = flag.NewFlagSet("gobi store "+cmd, flag.ContinueOnError)
	c.flags.SetOutput(stderr)
	c.args = rest
	if err := f(c); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			return 2
		}
		fmt.Fprintf(stderr, "gobi store %s: %v\n", cmd, err)
		return 1
	}
	if c.st != nil {
		c.st.Close()
	}
	return c.status
}

// errUsage reports bad flags or arguments, already described on stderr.
var errUsage = errors.New("usage")

// storeCmd is one local subcommand being run.
type storeCmd struct {
	ctx            context.Context
	name, dir      string
	args           []string
	flags          *flag.FlagSet
	stdin          io.Reader
	stdout, stderr io.Writer
	st             *store.Store
	status         int // exit status when the command returns nil
}

// parse parses the subcommand's flags and checks the positional argument
// count is within [min, max] (max < 0: unbounded).
func (c *storeCmd) parse(usage string, minArgs, maxArgs int) error {
	c.flags.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: gobi store %s %s\n", c.name, usage)
		c.flags.PrintDefaults()
	}
	if err := c.flags.Parse(c.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if n := c.flags.NArg(); n < minArgs || (maxArgs >= 0 && n > maxArgs) {
		fmt.Fprintf(c.stderr, "gobi store %s: wrong number of arguments (flags go before arguments)\n", c.name)
		c.flags.Usage()
		return errUsage
	}
	return nil
}

// open opens the store at -C DIR.
func (c *storeCmd) open() error {
	dir := c.dir
	if dir == "" {
		dir = "."
	}
	st, err := store.Open(dir, nil)
	if err != nil {
		return fmt.Errorf("%w (give the store with -C DIR)", err)
	}
	c.st = st
	return nil
}

// branchFlag registers -b; its default is the branch HEAD names.
func (c *storeCmd) branchFlag(what string) *string {
	return c.flags.String("b", "", what+" (default: the branch HEAD points to, usually main)")
}

// commitFlags adds -b and -m, which every command that commits takes.
func (c *storeCmd) commitFlags() (branch, msg *string) {
	return c.branchFlag("commit to `branch`"), c.flags.String("m", "", "commit `message`")
}

// printCommit prints the commit a command made, or returns its error.
func (c *storeCmd) printCommit(h store.Hash, err error) error {
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, h)
	return nil
}

func (c *storeCmd) branch(b string) string {
	if b != "" {
		return b
	}
	if target, err := c.st.Storage().SymbolicRef("HEAD"); err == nil {
		if name, ok := strings.CutPrefix(target, "refs/heads/"); ok {
			return name
		}
	}
	return store.DefaultBranch
}

// info returns commit info with the author from GIT_AUTHOR_NAME and
// GIT_AUTHOR_EMAIL, as git does, else the user and host names.
func (c *storeCmd) info(msg string) store.CommitInfo {
	name, email := os.Getenv("GIT_AUTHOR_NAME"), os.Getenv("GIT_AUTHOR_EMAIL")
	if name == "" {
		name = os.Getenv("USER")
	}
	if email == "" && name != "" {
		host, _ := os.Hostname()
		email = name + "@" + host
	}
	return store.CommitInfo{Author: store.Signature{Name: name, Email: email}, Message: msg}
}

func (c *storeCmd) json(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func storeInit(dir string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && dir == "" {
		dir = args[0]
	} else if len(args) != 0 || dir == "" {
		fmt.Fprintln(stderr, "usage: gobi store init DIR")
		return 2
	}
	st, err := store.Init(dir, nil)
	if err != nil {
		fmt.Fprintf(stderr, "gobi store init: %v\n", err)
		return 1
	}
	defer st.Close()
	fmt.Fprintf(stdout, "initialized empty store in %s\n", st.Path())
	return 0
}

func cmdGet(c *storeCmd) error {
	b := c.branchFlag("read from `branch`")
	asJSON := c.flags.Bool("json", false, "print {type, data} as JSON (data base64)")
	if err := c.parse("[-b BRANCH] [-json] KEY", 1, 1); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	v, err := c.st.Get(c.branch(*b), c.flags.Arg(0))
	if errors.Is(err, store.ErrNotFound) {
		c.status = 1 // absent: no message, like git config --get
		return nil
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return c.json(jsonValue{Type: v.Type, Data: v.Data})
	}
	_, err = c.stdout.Write(v.Data)
	return err
}

// jsonValue is a value in -json output.
type jsonValue struct {
	Type string `json:"type"`
	Data []byte `json:"data"`
}

// parseValue builds a value of type typ from the command-line text.
func parseValue(typ string, text []byte) (store.Value, error) {
	switch typ {
	case store.TypeBytes:
		return store.Bytes(text), nil
	case store.TypeLWW:
		return store.LWW(time.Now(), text), nil
	case store.TypeSet:
		var elems []string
		if err := json.Unmarshal(text, &elems); err != nil {
			return store.Value{}, fmt.Errorf("a set is written as a JSON array of strings: %w", err)
		}
		return store.Set(elems...), nil
	case store.TypeJSON:
		return store.JSON(text)
	}
	if _, ok := store.LookupType(typ); !ok {
		return store.Value{}, fmt.Errorf("unknown type %q: use bytes, counter, lww, set, map, log or json", typ)
	}
	// Other types are given in their payload format (docs/store.md).
	v, err := store.DecodeValue(store.Value{Type: typ, Data: text}.Encode())
	if err != nil {
		return store.Value{}, err
	}
	return v, nil
}

func (c *storeCmd) readValueArg(arg string) ([]byte, error) {
	if arg != "-" {
		return []byte(arg), nil
	}
	return io.ReadAll(c.stdin)
}

func cmdSet(c *storeCmd) error {
	b, msg := c.commitFlags()
	typ := c.flags.String("t", store.TypeBytes, "value `type`; for log, VALUE is appended as a new entry")
	if err := c.parse("[-b BRANCH] [-m MSG] [-t TYPE] KEY VALUE", 2, 2); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	key := c.flags.Arg(0)
	text, err := c.readValueArg(c.flags.Arg(1))
	if err != nil {
		return err
	}
	if *msg == "" {
		*msg = "set " + key
	}
	var h store.Hash
	if *typ == store.TypeLog {
		h, err = c.st.Update(c.ctx, c.branch(*b), c.info(*msg), func(t *store.Tree) error {
			cur, err := t.Get(key)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			v, err := store.AppendLog(cur, store.LogEntry{Time: time.Now(), Data: string(text)})
			if err != nil {
				return err
			}
			return t.Set(key, v)
		})
	} else {
		var v store.Value
		if v, err = parseValue(*typ, text); err != nil {
			return err
		}
		h, err = c.st.Set(c.ctx, c.branch(*b), key, v, c.info(*msg))
	}
	return c.printCommit(h, err)
}

func cmdRm(c *storeCmd) error {
	b, msg := c.commitFlags()
	if err := c.parse("[-b BRANCH] [-m MSG] KEY", 1, 1); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	key := c.flags.Arg(0)
	if *msg == "" {
		*msg = "remove " + key
	}
	return c.printCommit(c.st.Update(c.ctx, c.branch(*b), c.info(*msg), func(t *store.Tree) error { return t.Remove(key) }))
}

func cmdLs(c *storeCmd) error {
	b := c.branchFlag("read `branch`")
	asJSON := c.flags.Bool("json", false, "print JSON")
	if err := c.parse("[-b BRANCH] [-json] [DIR]", 0, 1); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	t, err := c.st.Snapshot(c.branch(*b))
	if err != nil {
		return err
	}
	es, err := t.List(c.flags.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		type entry struct {
			Name string `json:"name"`
			Dir  bool   `json:"dir"`
		}
		out := []entry{}
		for _, e := range es {
			out = append(out, entry{e.Name, e.Dir})
		}
		return c.json(out)
	}
	for _, e := range es {
		if e.Dir {
			fmt.Fprintln(c.stdout, e.Name+"/")
		} else {
			fmt.Fprintln(c.stdout, e.Name)
		}
	}
	return nil
}

// display shows a payload on one line: as is if printable, else quoted.
func display(b []byte) string {
	s := string(b)
	if utf8.ValidString(s) && !strings.ContainsAny(s, "\n\r\t\x00") {
		return s
	}
	return strconv.Quote(s)
}

func cmdTree(c *storeCmd) error {
	b := c.branchFlag("read `branch`")
	asJSON := c.flags.Bool("json", false, "print JSON")
	if err := c.parse("[-b BRANCH] [-json] [PREFIX]", 0, 1); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	t, err := c.st.Snapshot(c.branch(*b))
	if err != nil {
		return err
	}
	type entry struct {
		Key string `json:"key"`
		jsonValue
	}
	out := []entry{}
	w := bufio.NewWriter(c.stdout)
	defer w.Flush()
	prefix := c.flags.Arg(0)
	err = t.Walk(prefix, func(key string, v store.Value) error {
		if prefix == "" && strings.HasPrefix(key, ".gobi/") {
			return nil // the store's own records: see gobi store conflicts
		}
		if *asJSON {
			out = append(out, entry{key, jsonValue{v.Type, v.Data}})
			return nil
		}
		if v.Type != store.TypeBytes {
			_, err := fmt.Fprintf(w, "%s\t(%s) %s\n", key, v.Type, display(v.Data))
			return err
		}
		_, err := fmt.Fprintf(w, "%s\t%s\n", key, display(v.Data))
		return err
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return c.json(out)
	}
	return nil
}

// jsonCommit is a commit in -json output.
type jsonCommit struct {
	Hash      string    `json:"hash"`
	Parents   []string  `json:"parents"`
	Author    string    `json:"author"`
	Committer string    `json:"committer"`
	Time      time.Time `json:"time"`
	Message   string    `json:"message"`
}

func cmdLog(c *storeCmd) error {
	b := c.branchFlag("show `branch`")
	n := c.flags.Int("n", 0, "show at most `N` commits (0: all)")
	asJSON := c.flags.Bool("json", false, "print JSON")
	if err := c.parse("[-b BRANCH] [-n N] [-json]", 0, 0); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	head, err := c.st.Head(c.branch(*b))
	if err != nil {
		return err
	}
	var out []jsonCommit
	w := bufio.NewWriter(c.stdout)
	defer w.Flush()
	count := 0
	for cm, err := range c.st.Log(head) {
		if err != nil {
			return err
		}
		if *n > 0 && count == *n {
			break
		}
		count++
		if *asJSON {
			jc := jsonCommit{Hash: cm.Hash.String(), Parents: []string{}, Author: cm.Author.Name + " <" + cm.Author.Email + ">",
				Committer: cm.Committer.Name + " <" + cm.Committer.Email + ">", Time: cm.Committer.When, Message: cm.Message}
			for _, p := range cm.Parents {
				jc.Parents = append(jc.Parents, p.String())
			}
			out = append(out, jc)
			continue
		}
		fmt.Fprintf(w, "commit %s\nAuthor: %s <%s>\nDate:   %s\n\n", cm.Hash, cm.Author.Name, cm.Author.Email, cm.Author.When.Format(time.RFC1123Z))
		for line := range strings.SplitSeq(strings.TrimRight(cm.Message, "\n"), "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
		fmt.Fprintln(w)
	}
	if *asJSON {
		if out == nil {
			out = []jsonCommit{}
		}
		return c.json(out)
	}
	return nil
}

func cmdBranch(c *storeCmd) error {
	del := c.flags.Bool("d", false, "delete the named branch")
	asJSON := c.flags.Bool("json", false, "print the branch list as JSON")
	if err := c.parse("[-d] [-json] [NEW [FROM]]", 0, 2); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	switch {
	case *del:
		if c.flags.NArg() != 1 {
			return errors.New("-d takes one branch name")
		}
		return c.st.DeleteBranch(c.flags.Arg(0))
	case c.flags.NArg() > 0:
		from := c.branch("")
		if c.flags.NArg() == 2 {
			from = c.flags.Arg(1)
		}
		h, err := c.st.Rev(from)
		if err != nil {
			return err
		}
		return c.st.CreateBranch(c.flags.Arg(0), h)
	}
	names, err := c.st.Branches()
	if err != nil {
		return err
	}
	type branch struct {
		Name string `json:"name"`
		Head string `json:"head"`
	}
	out := []branch{}
	for _, n := range names {
		h, err := c.st.Head(n)
		if err != nil {
			return err
		}
		out = append(out, branch{n, h.String()})
	}
	if *asJSON {
		return c.json(out)
	}
	for _, b := range out {
		fmt.Fprintf(c.stdout, "%s\t%s\n", b.Name, b.Head)
	}
	return nil
}

// jsonConflict is a conflict in -json output.
type jsonConflict struct {
	Path   string     `json:"path"`
	Reason string     `json:"reason"`
	Base   *jsonValue `json:"base"`
	Ours   *jsonValue `json:"ours"`
	Theirs *jsonValue `json:"theirs"`
}

func toJSONConflicts(cs []store.Conflict) []jsonConflict {
	jv := func(v *store.Value) *jsonValue {
		if v == nil {
			return nil
		}
		return &jsonValue{v.Type, v.Data}
	}
	out := []jsonConflict{}
	for _, c := range cs {
		out = append(out, jsonConflict{c.Path, c.Reason, jv(c.Base), jv(c.Ours), jv(c.Theirs)})
	}
	return out
}

func cmdMerge(c *storeCmd) error {
	b := c.branchFlag("merge into `branch`")
	msg := c.flags.String("m", "", "commit `message`")
	asJSON := c.flags.Bool("json", false, "print the result as JSON")
	if err := c.parse("[-b INTO] [-m MSG] [-json] FROM", 1, 1); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	into := c.branch(*b)
	res, err := c.st.Merge(c.ctx, into, c.flags.Arg(0), c.info(*msg))
	if err != nil {
		return err
	}
	if len(res.Conflicts) > 0 {
		c.status = 1
	}
	if *asJSON {
		return c.json(struct {
			Commit      string         `json:"commit"`
			UpToDate    bool           `json:"up_to_date"`
			FastForward bool           `json:"fast_forward"`
			Conflicts   []jsonConflict `json:"conflicts"`
		}{res.Commit.String(), res.UpToDate, res.FastForward, toJSONConflicts(res.Conflicts)})
	}
	switch {
	case res.UpToDate:
		fmt.Fprintln(c.stdout, "already up to date")
	case res.FastForward:
		fmt.Fprintf(c.stdout, "fast-forward to %s\n", res.Commit)
	case len(res.Conflicts) > 0:
		fmt.Fprintf(c.stdout, "merged with %d conflicts as %s; ours kept, resolve with gobi store resolve:\n", len(res.Conflicts), res.Commit)
		for _, cf := range res.Conflicts {
			fmt.Fprintf(c.stdout, "%s\t%s\n", cf.Path, cf.Reason)
		}
	default:
		fmt.Fprintf(c.stdout, "merged as %s\n", res.Commit)
	}
	return nil
}

func cmdConflicts(c *storeCmd) error {
	b := c.branchFlag("read `branch`")
	asJSON := c.flags.Bool("json", false, "print JSON with base/ours/theirs values")
	if err := c.parse("[-b BRANCH] [-json]", 0, 0); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	cs, err := c.st.Conflicts(c.branch(*b))
	if err != nil {
		return err
	}
	if *asJSON {
		return c.json(toJSONConflicts(cs))
	}
	for _, cf := range cs {
		fmt.Fprintf(c.stdout, "%s\t%s\n", cf.Path, cf.Reason)
	}
	return nil
}

func cmdResolve(c *storeCmd) error {
	b, msg := c.commitFlags()
	take := c.flags.String("take", "", "resolve with the `side` ours, theirs or base instead of a VALUE")
	typ := c.flags.String("t", store.TypeBytes, "`type` of VALUE")
	if err := c.parse("[-b BRANCH] [-m MSG] [-take SIDE | -t TYPE] KEY [VALUE]", 1, 2); err != nil {
		return err
	}
	if (*take == "") == (c.flags.NArg() == 1) {
		return errors.New("give either -take SIDE or a VALUE")
	}
	if err := c.open(); err != nil {
		return err
	}
	key, branch := c.flags.Arg(0), c.branch(*b)
	var v *store.Value
	if *take != "" {
		cs, err := c.st.Conflicts(branch)
		if err != nil {
			return err
		}
		found := false
		for _, cf := range cs {
			if cf.Path != key {
				continue
			}
			found = true
			switch *take {
			case "ours":
				v = cf.Ours
			case "theirs":
				v = cf.Theirs
			case "base":
				v = cf.Base
			default:
				return fmt.Errorf("-take %q: want ours, theirs or base", *take)
			}
		}
		if !found {
			return fmt.Errorf("no pending conflict on %s (list them with gobi store conflicts)", key)
		}
	} else {
		text, err := c.readValueArg(c.flags.Arg(1))
		if err != nil {
			return err
		}
		val, err := parseValue(*typ, text)
		if err != nil {
			return err
		}
		v = &val
	}
	return c.printCommit(c.st.ResolveConflict(c.ctx, branch, key, v, c.info(*msg)))
}

func cmdRevert(c *storeCmd) error {
	b, msg := c.commitFlags()
	if err := c.parse("[-b BRANCH] [-m MSG] COMMIT", 1, 1); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	to, err := c.st.Rev(c.flags.Arg(0))
	if err != nil {
		return err
	}
	return c.printCommit(c.st.Revert(c.ctx, c.branch(*b), to, c.info(*msg)))
}

func cmdWatch(c *storeCmd) error {
	b := c.flags.String("b", "", "watch `branch` (default: all branches)")
	asJSON := c.flags.Bool("json", false, "print one JSON object per line")
	if err := c.parse("[-b BRANCH] [-json] [PREFIX]", 0, 1); err != nil {
		return err
	}
	if err := c.open(); err != nil {
		return err
	}
	ch, err := c.st.Watch(c.ctx, *b, c.flags.Arg(0))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(c.stdout)
	for ev := range ch {
		if *asJSON {
			err = enc.Encode(map[string]string{"branch": ev.Branch, "path": ev.Path, "commit": ev.Commit.String()})
		} else {
			_, err = fmt.Fprintf(c.stdout, "%s\t%s\t%s\n", ev.Branch, ev.Path, ev.Commit)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
