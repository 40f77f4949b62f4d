package sync

import "strings"

// Reference name prefixes (git-check-ref-format(1), gitrevisions(7)).
const (
	headsPrefix   = "refs/heads/"
	remotesPrefix = "refs/remotes/"
)

// branchName returns the branch a full reference name designates.
func branchName(ref string) (string, bool) {
	return strings.CutPrefix(ref, headsPrefix)
}

// trackingRef returns the remote-tracking reference for branch of remote.
func trackingRef(remote, branch string) string {
	return remotesPrefix + remote + "/" + branch
}
