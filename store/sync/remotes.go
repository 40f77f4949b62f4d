package sync

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/config"
)

// DefaultRemote is the remote name clone records and fetch, pull and push
// use when given none.
const DefaultRemote = "origin"

// readConfig reads the Git config file of r's directory (git-config(1)
// syntax, through go-git's parser, which keeps sections it does not know).
func readConfig(r *Repo) (*config.Config, string, error) {
	if r.st.Path() == "" {
		return config.NewConfig(), "", nil
	}
	path := filepath.Join(r.st.Path(), "config")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return config.NewConfig(), path, nil
	}
	if err != nil {
		return nil, "", err
	}
	cfg, err := config.ReadConfig(bytes.NewReader(b))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", path, err)
	}
	return cfg, path, nil
}

// resolveRemote turns a remote argument — a configured remote name, a URL or
// a path — into the remote's name ("" when the URL is not configured: no
// remote-tracking references are kept for it) and its URL.
func resolveRemote(r *Repo, arg string) (name, url string, err error) {
	if arg == "" {
		arg = DefaultRemote
	}
	cfg, path, err := readConfig(r)
	if err != nil {
		return "", "", err
	}
	if rc, ok := cfg.Remotes[arg]; ok && len(rc.URLs) > 0 {
		return arg, rc.URLs[0], nil
	}
	if !looksLikeURL(arg) {
		return "", "", fmt.Errorf("no remote named %q in %s: give a URL or a path, or clone to record one", arg, path)
	}
	for n, rc := range cfg.Remotes {
		for _, u := range rc.URLs {
			if u == arg {
				return n, arg, nil
			}
		}
	}
	return "", arg, nil
}

// looksLikeURL reports whether arg names a remote location rather than a
// remote name: a URL, or a path that exists.
func looksLikeURL(arg string) bool {
	if strings.Contains(arg, "://") || strings.ContainsRune(arg, os.PathSeparator) {
		return true
	}
	_, err := os.Stat(arg)
	return err == nil
}

// addRemote records remote name at url in the repository's config, with the
// refspec stock git would write, so `git fetch NAME` works on the directory.
func addRemote(r *Repo, name, url string) error {
	cfg, path, err := readConfig(r)
	if err != nil {
		return err
	}
	if path == "" {
		return errors.New("recording a remote needs a store in a Git directory")
	}
	cfg.Remotes[name] = &config.RemoteConfig{
		Name:  name,
		URLs:  []string{url},
		Fetch: []config.RefSpec{config.RefSpec("+refs/heads/*:refs/remotes/" + name + "/*")},
	}
	b, err := cfg.Marshal()
	if err != nil {
		return fmt.Errorf("recording remote %s: %w", name, err)
	}
	tmp := path + ".gobi-tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("recording remote %s: %w", name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("recording remote %s: %w", name, err)
	}
	return nil
}
