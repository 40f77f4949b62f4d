package sync

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"time"
)

// DefaultTimeout bounds an operation whose Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Errors returned by sync operations. Test them with errors.Is.
var (
	// ErrAuth means the server refused the request's credentials (HTTP 401
	// or 403).
	ErrAuth = errors.New("authentication failed")
	// ErrNonFastForward means a push would discard commits the remote
	// branch has and the local one lacks; pull first.
	ErrNonFastForward = errors.New("remote branch has commits the local branch lacks")
	// ErrTimeout means the operation did not finish within its deadline.
	ErrTimeout = errors.New("no answer within the timeout")
)

// Options configures one sync operation. The zero value is ready to use.
type Options struct {
	// Timeout bounds the whole operation: dialing, every request and every
	// byte of every response. Zero means DefaultTimeout.
	Timeout time.Duration
	// Username and Password are sent as HTTP basic authentication. When
	// both are empty, the user information of the URL is used, if any.
	Username, Password string
}

// Stats measures one operation's traffic.
type Stats struct {
	// RoundTrips counts HTTP requests (a fetch or a push makes two: the
	// reference advertisement and the pack exchange). File peers make none.
	RoundTrips int `json:"round_trips"`
	// BytesSent and BytesReceived count bytes on the wire, HTTP headers
	// included. For file peers they count the packfile bytes copied.
	BytesSent     int64 `json:"bytes_sent"`
	BytesReceived int64 `json:"bytes_received"`
	// Objects counts the Git objects transferred.
	Objects int `json:"objects"`
}

// withDeadline applies the operation deadline to ctx.
func (o Options) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	t := o.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return context.WithTimeout(ctx, t)
}

// explain wraps err from talking to url with the sentinel a caller can test
// and the fix a user can apply.
func explain(ctx context.Context, url string, err error) error {
	if err == nil {
		return nil
	}
	url = redactURL(url)
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w (raise -timeout if the server is slow): %v", url, ErrTimeout, err)
	}
	if isAuthError(err) {
		return fmt.Errorf("%s: %w: give a user and password or token in the URL (https://USER:TOKEN@host/...): %v", url, ErrAuth, err)
	}
	return fmt.Errorf("%s: %w", url, err)
}

// redactURL hides the password of a URL, for messages and results.
func redactURL(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	u.User = neturl.UserPassword(u.User.Username(), "xxxxx")
	return u.String()
}
