// An independent check of kura's transparency log, written against Go's
// golang.org/x/mod/sumdb/tlog and sumdb/note (Debian's
// golang-golang-x-mod-dev), which kura does not use.
//
//	go run check.go VERIFIER_KEY SITE...
//
// SITE... are versions of one site, oldest first. For the newest it opens
// log/checkpoint with the verifier key, recomputes the tree hash from the
// published entry bundles, and checks, through the published hash tiles,
// an inclusion proof for every entry and a consistency proof from every
// older version's checkpoint (each opened with the key too). Each
// version's entry must name its id, the SHA-256 of its SHA256SUMS.
// Prints one line per check; exits 1 on the first failure.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

// open reads SITE/log/checkpoint, checks its signature and parses the
// C2SP tlog-checkpoint body: origin, size, base64 root hash.
func open(site string, verifiers note.Verifiers) checkpoint {
	msg, err := os.ReadFile(filepath.Join(site, "log", "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, verifiers)
	if err != nil {
		fail("%s: note.Open: %v", site, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("%s: checkpoint body too short", site)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("%s: size: %v", site, err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("%s: root hash: %v", site, err)
	}
	var h tlog.Hash
	copy(h[:], root)
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: h}}
}

// tiles reads hash tiles from SITE/log/ (C2SP paths: no height element).
type tiles struct{ dir string }

func (t tiles) Height() int { return 8 }

func (t tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	var out [][]byte
	for _, tile := range ts {
		p := strings.Replace(tile.Path(), "tile/8/", "tile/", 1)
		b, err := os.ReadFile(filepath.Join(t.dir, "log", p))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

// entries reads every entry of a log of n entries from its bundles.
func entries(site string, n int64) [][]byte {
	var out [][]byte
	for i := int64(0); i*256 < n; i++ {
		w := n - i*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: 8, L: 0, N: i, W: int(w)}
		p := strings.Replace(t.Path(), "tile/8/0/", "tile/entries/", 1)
		b, err := os.ReadFile(filepath.Join(site, "log", p))
		if err != nil {
			fail("%v", err)
		}
		for len(b) > 0 {
			if len(b) < 2 {
				fail("%s: truncated bundle", p)
			}
			l := int(binary.BigEndian.Uint16(b))
			if len(b) < 2+l {
				fail("%s: truncated entry", p)
			}
			out = append(out, b[2:2+l])
			b = b[2+l:]
		}
	}
	if int64(len(out)) != n {
		fail("%s: %d entries in the bundles, the checkpoint counts %d", site, len(out), n)
	}
	return out
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: check VERIFIER_KEY SITE...")
	}
	v, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fail("verifier key: %v", err)
	}
	verifiers := note.VerifierList(v)
	sites := os.Args[2:]
	newest := sites[len(sites)-1]
	cp := open(newest, verifiers)
	fmt.Printf("ok: %s/log/checkpoint opens with %s: %s, %d entries\n", newest, v.Name(), cp.origin, cp.tree.N)

	// The tree hash, recomputed from the entries alone.
	recs := entries(newest, cp.tree.N)
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, r := range recs {
		hs, err := tlog.StoredHashes(int64(i), r, reader)
		if err != nil {
			fail("StoredHashes: %v", err)
		}
		stored = append(stored, hs...)
	}
	th, err := tlog.TreeHash(cp.tree.N, reader)
	if err != nil || th != cp.tree.Hash {
		fail("the tree hash of the entries is %v, the checkpoint says %v (%v)", th, cp.tree.Hash, err)
	}
	fmt.Printf("ok: the root recomputed from %d entries matches the checkpoint\n", len(recs))

	// Proofs through the published tiles (TileHashReader checks each tile
	// it reads against the checkpoint's tree).
	thr := tlog.TileHashReader(cp.tree, tiles{newest})
	for i, r := range recs {
		p, err := tlog.ProveRecord(cp.tree.N, int64(i), thr)
		if err != nil {
			fail("ProveRecord(%d): %v", i, err)
		}
		if err := tlog.CheckRecord(p, cp.tree.N, cp.tree.Hash, int64(i), tlog.RecordHash(r)); err != nil {
			fail("CheckRecord(%d): %v", i, err)
		}
	}
	fmt.Printf("ok: inclusion proofs of all %d entries, through the hash tiles\n", len(recs))

	for i, site := range sites {
		sums, err := os.ReadFile(filepath.Join(site, "SHA256SUMS"))
		if err != nil {
			fail("%v", err)
		}
		id := sha256.Sum256(sums)
		want := []byte("\nversion " + hex.EncodeToString(id[:]) + "\n")
		if i >= len(recs) || !bytes.Contains(recs[int64(i)+cp.tree.N-int64(len(sites))], want) {
			fail("%s: its version id is not in entry %d", site, i)
		}
		if site == newest {
			continue
		}
		old := open(site, verifiers)
		if old.origin != cp.origin {
			fail("%s: origin %q, not %q", site, old.origin, cp.origin)
		}
		p, err := tlog.ProveTree(cp.tree.N, old.tree.N, thr)
		if err != nil {
			fail("ProveTree(%d, %d): %v", cp.tree.N, old.tree.N, err)
		}
		if err := tlog.CheckTree(p, cp.tree.N, cp.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
			fail("%s: consistency %d -> %d: %v", site, old.tree.N, cp.tree.N, err)
		}
		fmt.Printf("ok: %s (%d entries) is consistent with the newest log; its entry names its version id\n", site, old.tree.N)
	}
}
