package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// changeEvent is the data of an SSE "change" event.
type changeEvent struct {
	Branch string `json:"branch"`
	Path   string `json:"path"`
	Commit string `json:"commit"`
}

// apiWatch streams changes as Server-Sent Events: each changed key is an
// event named "change" whose data is {"branch","path","commit"} (commit
// all zeros when the branch was deleted). Comments (": ping") keep idle
// connections open. The query parameters branch and prefix narrow the
// watch; both default to everything.
func (s *Server) apiWatch(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	q := r.URL.Query()
	events, err := s.st.Watch(r.Context(), q.Get("branch"), q.Get("prefix"))
	if err != nil {
		storeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // tell nginx-style proxies not to buffer
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": watching\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(s.opts.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			fmt.Fprint(w, ": ping\n\n")
		case ev, ok := <-events:
			if !ok {
				return
			}
			data, _ := json.Marshal(changeEvent{Branch: ev.Branch, Path: ev.Path, Commit: ev.Commit.String()})
			fmt.Fprintf(w, "event: change\nid: %s\ndata: %s\n\n", ev.Commit, data)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
