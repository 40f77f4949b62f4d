package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gobi-os/gobi/store"
)

// Bounds on JSON API answers, which a client could otherwise make as large
// as the store.
const (
	defaultLimit = 1000
	maxLimit     = 100000
)

func (s *Server) apiRoutes() {
	s.mux.HandleFunc("GET /api/v1/branches", s.apiBranches)
	s.mux.HandleFunc("POST /api/v1/branches", s.apiCreateBranch)
	s.mux.HandleFunc("GET /api/v1/get", s.apiGet)
	s.mux.HandleFunc("POST /api/v1/set", s.apiSet)
	s.mux.HandleFunc("POST /api/v1/remove", s.apiRemove)
	s.mux.HandleFunc("GET /api/v1/list", s.apiList)
	s.mux.HandleFunc("GET /api/v1/tree", s.apiTree)
	s.mux.HandleFunc("GET /api/v1/log", s.apiLog)
	s.mux.HandleFunc("POST /api/v1/merge", s.apiMerge)
	s.mux.HandleFunc("GET /api/v1/conflicts", s.apiConflicts)
	s.mux.HandleFunc("POST /api/v1/resolve", s.apiResolve)
	s.mux.HandleFunc("GET /api/v1/watch", s.apiWatch)
}

// jsonValue is a Value on the wire: Data in base64 and, when the payload
// is UTF-8, the same bytes as Text for people and scripts.
type jsonValue struct {
	Key  string  `json:"key,omitempty"`
	Type string  `json:"type"`
	Data []byte  `json:"data"`
	Text *string `json:"text,omitempty"`
}

func toJSONValue(key string, v store.Value) jsonValue {
	out := jsonValue{Key: key, Type: v.Type, Data: v.Data}
	if v.Data == nil {
		out.Data = []byte{}
	}
	if utf8.Valid(v.Data) {
		t := string(v.Data)
		out.Text = &t
	}
	return out
}

// inputValue is a value in a request: Text or Data (base64), Type
// defaulting to bytes.
type inputValue struct {
	Type string  `json:"type"`
	Data []byte  `json:"data"`
	Text *string `json:"text"`
}

func (in inputValue) value() (store.Value, error) {
	if in.Text != nil && in.Data != nil {
		return store.Value{}, errors.New(`give "text" or "data" (base64), not both`)
	}
	v := store.Value{Type: in.Type, Data: in.Data}
	if in.Text != nil {
		v.Data = []byte(*in.Text)
	}
	if v.Type == "" {
		v.Type = store.TypeBytes
	}
	if _, ok := store.LookupType(v.Type); !ok {
		return store.Value{}, fmt.Errorf("unknown value type %q", v.Type)
	}
	return v, nil
}

// commitRequest holds the commit fields shared by writing requests.
type commitRequest struct {
	Branch  string `json:"branch"`
	Message string `json:"message"`
	Author  string `json:"author"`
	Email   string `json:"email"`
}

func (c commitRequest) info(defaultMsg string) store.CommitInfo {
	ci := store.CommitInfo{Message: c.Message}
	if ci.Message == "" {
		ci.Message = defaultMsg
	}
	ci.Author.Name, ci.Author.Email = c.Author, c.Email
	return ci
}

func (c commitRequest) branch() string {
	if c.Branch == "" {
		return store.DefaultBranch
	}
	return c.Branch
}

// branchParam returns the "branch" query parameter, defaulting to main.
func branchParam(r *http.Request) string {
	if b := r.URL.Query().Get("branch"); b != "" {
		return b
	}
	return store.DefaultBranch
}

// limitParam returns the "limit" query parameter, bounded by maxLimit.
func limitParam(r *http.Request) (int, error) {
	q := r.URL.Query().Get("limit")
	if q == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n <= 0 || n > maxLimit {
		return 0, fmt.Errorf("limit %q: want an integer from 1 to %d", q, maxLimit)
	}
	return n, nil
}

// decode reads a JSON request body of at most MaxRequestBytes into v,
// refusing unknown fields so a misspelt field is an error, not a no-op.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if s.opts.ReadOnly {
		httpError(w, http.StatusForbidden, "this server is read-only")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opts.MaxRequestBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpError(w, http.StatusRequestEntityTooLarge, "request body over %d bytes", tooBig.Limit)
			return false
		}
		httpError(w, http.StatusBadRequest, "decoding request: %v", err)
		return false
	}
	return true
}

// storeError writes err with the status its kind deserves.
func storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		httpError(w, http.StatusNotFound, "%v", err)
	case errors.Is(err, store.ErrTestAndSet), errors.Is(err, store.ErrRefChanged):
		httpError(w, http.StatusConflict, "%v", err)
	default:
		httpError(w, http.StatusBadRequest, "%v", err)
	}
}

// refresh makes other processes' commits visible before a read.
func (s *Server) refresh(w http.ResponseWriter) bool {
	if err := s.st.Refresh(); err != nil {
		httpError(w, http.StatusInternalServerError, "refreshing the store: %v", err)
		return false
	}
	return true
}

type branchJSON struct {
	Name   string `json:"name"`
	Commit string `json:"commit"`
}

func (s *Server) apiBranches(w http.ResponseWriter, r *http.Request) {
	if !s.refresh(w) {
		return
	}
	names, err := s.st.Branches()
	if err != nil {
		storeError(w, err)
		return
	}
	out := []branchJSON{}
	for _, n := range names {
		h, err := s.st.Head(n)
		if err != nil {
			continue // deleted since listed
		}
		out = append(out, branchJSON{Name: n, Commit: h.String()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"branches": out})
}

type createBranchRequest struct {
	Name string `json:"name"`
	From string `json:"from"`
}

// apiCreateBranch creates branch Name at From (a branch, tag or commit;
// default main).
func (s *Server) apiCreateBranch(w http.ResponseWriter, r *http.Request) {
	var req createBranchRequest
	if !s.decode(w, r, &req) {
		return
	}
	if req.From == "" {
		req.From = store.DefaultBranch
	}
	h, err := s.st.Rev(req.From)
	if err != nil {
		storeError(w, err)
		return
	}
	if err := s.st.CreateBranch(req.Name, h); err != nil {
		storeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, branchJSON{Name: req.Name, Commit: h.String()})
}

func (s *Server) apiGet(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if key == "" {
		httpError(w, http.StatusBadRequest, "missing key parameter")
		return
	}
	if !s.refresh(w) {
		return
	}
	v, err := s.st.Get(branchParam(r), key)
	if err != nil {
		storeError(w, err)
		return
	}
	if r.URL.Query().Get("raw") != "" {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Gobi-Type", v.Type)
		w.Write(v.Data)
		return
	}
	writeJSON(w, http.StatusOK, toJSONValue(key, v))
}

type setRequest struct {
	commitRequest
	Key string `json:"key"`
	inputValue
}

func (s *Server) apiSet(w http.ResponseWriter, r *http.Request) {
	var req setRequest
	if !s.decode(w, r, &req) {
		return
	}
	v, err := req.value()
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	h, err := s.st.Set(r.Context(), req.branch(), req.Key, v, req.info("set "+req.Key))
	if err != nil {
		storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"commit": h.String()})
}

type removeRequest struct {
	commitRequest
	Key string `json:"key"`
}

func (s *Server) apiRemove(w http.ResponseWriter, r *http.Request) {
	var req removeRequest
	if !s.decode(w, r, &req) {
		return
	}
	h, err := s.st.Update(r.Context(), req.branch(), req.info("remove "+req.Key), func(t *store.Tree) error {
		return t.Remove(req.Key)
	})
	if err != nil {
		storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"commit": h.String()})
}

type entryJSON struct {
	Name string `json:"name"`
	Dir  bool   `json:"dir"`
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request) {
	if !s.refresh(w) {
		return
	}
	t, err := s.st.Snapshot(branchParam(r))
	if err != nil {
		storeError(w, err)
		return
	}
	es, err := t.List(r.URL.Query().Get("dir"))
	if err != nil {
		storeError(w, err)
		return
	}
	out := make([]entryJSON, len(es))
	for i, e := range es {
		out[i] = entryJSON{Name: e.Name, Dir: e.Dir}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}

// errLimit stops a tree walk at the requested number of values.
var errLimit = errors.New("limit reached")

func (s *Server) apiTree(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if !s.refresh(w) {
		return
	}
	rev := branchParam(r)
	head, err := s.st.Rev(rev)
	if err != nil {
		storeError(w, err)
		return
	}
	t, err := s.st.TreeAt(head)
	if err != nil {
		storeError(w, err)
		return
	}
	values := []jsonValue{}
	err = t.Walk(r.URL.Query().Get("prefix"), func(key string, v store.Value) error {
		if len(values) == limit {
			return errLimit
		}
		values = append(values, toJSONValue(key, v))
		return nil
	})
	if err != nil && !errors.Is(err, errLimit) {
		storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"commit": head.String(), "values": values, "truncated": errors.Is(err, errLimit)})
}

type signatureJSON struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	When  time.Time `json:"when"`
}

type commitJSON struct {
	Hash      string        `json:"hash"`
	Tree      string        `json:"tree"`
	Parents   []string      `json:"parents"`
	Author    signatureJSON `json:"author"`
	Committer signatureJSON `json:"committer"`
	Message   string        `json:"message"`
}

func toCommitJSON(c *store.Commit) commitJSON {
	out := commitJSON{
		Hash: c.Hash.String(), Tree: c.Tree.String(), Parents: []string{}, Message: c.Message,
		Author:    signatureJSON{c.Author.Name, c.Author.Email, c.Author.When},
		Committer: signatureJSON{c.Committer.Name, c.Committer.Email, c.Committer.When},
	}
	for _, p := range c.Parents {
		out.Parents = append(out.Parents, p.String())
	}
	return out
}

func (s *Server) apiLog(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if !s.refresh(w) {
		return
	}
	head, err := s.st.Rev(branchParam(r))
	if err != nil {
		storeError(w, err)
		return
	}
	out := []commitJSON{}
	for c, err := range s.st.Log(head) {
		if err != nil {
			storeError(w, err)
			return
		}
		out = append(out, toCommitJSON(c))
		if len(out) == limit {
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"commits": out})
}

// conflictJSON is a store.Conflict on the wire.
type conflictJSON struct {
	Path         string     `json:"path"`
	Reason       string     `json:"reason"`
	Base         *jsonValue `json:"base"`
	Ours         *jsonValue `json:"ours"`
	Theirs       *jsonValue `json:"theirs"`
	BaseCommit   string     `json:"base_commit"`
	OursCommit   string     `json:"ours_commit"`
	TheirsCommit string     `json:"theirs_commit"`
}

func toConflictJSON(c store.Conflict) conflictJSON {
	opt := func(v *store.Value) *jsonValue {
		if v == nil {
			return nil
		}
		j := toJSONValue("", *v)
		return &j
	}
	return conflictJSON{
		Path: c.Path, Reason: c.Reason,
		Base: opt(c.Base), Ours: opt(c.Ours), Theirs: opt(c.Theirs),
		BaseCommit: c.BaseCommit.String(), OursCommit: c.OursCommit.String(), TheirsCommit: c.TheirsCommit.String(),
	}
}

func toConflictsJSON(cs []store.Conflict) []conflictJSON {
	out := make([]conflictJSON, len(cs))
	for i, c := range cs {
		out[i] = toConflictJSON(c)
	}
	return out
}

type mergeRequest struct {
	commitRequest
	Into string `json:"into"`
	From string `json:"from"`
}

func (s *Server) apiMerge(w http.ResponseWriter, r *http.Request) {
	var req mergeRequest
	if !s.decode(w, r, &req) {
		return
	}
	if req.From == "" {
		httpError(w, http.StatusBadRequest, `missing "from": the branch, tag or commit to merge`)
		return
	}
	into := req.Into
	if into == "" {
		into = req.branch()
	}
	res, err := s.st.Merge(r.Context(), into, req.From, req.info(""))
	if err != nil {
		storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"commit": res.Commit.String(), "up_to_date": res.UpToDate, "fast_forward": res.FastForward,
		"conflicts": toConflictsJSON(res.Conflicts),
	})
}

func (s *Server) apiConflicts(w http.ResponseWriter, r *http.Request) {
	if !s.refresh(w) {
		return
	}
	cs, err := s.st.Conflicts(branchParam(r))
	if err != nil {
		storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conflicts": toConflictsJSON(cs)})
}

type resolveRequest struct {
	commitRequest
	Path   string `json:"path"`
	Remove bool   `json:"remove"`
	inputValue
}

func (s *Server) apiResolve(w http.ResponseWriter, r *http.Request) {
	var req resolveRequest
	if !s.decode(w, r, &req) {
		return
	}
	var v *store.Value
	if !req.Remove {
		val, err := req.value()
		if err != nil {
			httpError(w, http.StatusBadRequest, "%v", err)
			return
		}
		v = &val
	}
	h, err := s.st.ResolveConflict(r.Context(), req.branch(), req.Path, v, req.info(""))
	if err != nil {
		storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"commit": h.String()})
}
