package store

import (
	"path"
	"strings"
)

// cleanKey returns the canonical form of a key: rooted, no empty, "." or ".." components,
// no trailing slash (SPEC §2.1), like path.Join("/", key). An already clean key is returned
// as is, without allocating.
func cleanKey(key string) string {
	if key == "" || key[0] != '/' {
		return path.Clean("/" + key)
	}
	return path.Clean(key)
}

// baseName returns the last component of a clean key ("" for the root).
func baseName(key string) string {
	return key[strings.LastIndexByte(key, '/')+1:]
}

// parentKey returns the key of the directory holding the clean key ("/" for top-level
// keys and for the root itself).
func parentKey(key string) string {
	i := strings.LastIndexByte(key, '/')
	if i <= 0 {
		return "/"
	}
	return key[:i]
}

// isHiddenName reports whether a key component is hidden (SPEC §2.7).
func isHiddenName(name string) bool {
	return name != "" && name[0] == '_'
}

// isHiddenBelow reports whether key, an event key at or below the watched key w (both
// clean), has a hidden component strictly below w: such events are not delivered to a
// live recursive watcher on w (SPEC §2.7, §3.2).
func isHiddenBelow(w, key string) bool {
	if len(key) <= len(w) {
		return false
	}
	rest := key
	if w != "/" {
		rest = key[len(w):]
	}
	return strings.Contains(rest, "/_")
}

// isInside reports whether the clean key lies strictly below the clean directory dir.
func isInside(key, dir string) bool {
	if dir == "/" {
		return key != "/"
	}
	return len(key) > len(dir) && key[len(dir)] == '/' && key[:len(dir)] == dir
}
