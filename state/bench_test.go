package state

import (
	"fmt"
	"testing"

	"github.com/benito-net/benito/addrs"
)

// BenchmarkJournalPut shows that recording a resource costs the same
// however many resources the state holds: compare ns/op across sizes.
func BenchmarkJournalPut(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			f := tempLocked(b)
			s := New("bench")
			// Every resource the same size, so only the state's size varies.
			for i := range n {
				r := crashResource(200)
				r.Addr = addrs.Resource{Type: "vnode", Name: "n", Key: addrs.IntKey(i)}
				s.Resources[r.Addr] = r
			}
			mustWrite(b, f, s)
			j, err := f.OpenJournal(s)
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			// Put the same 100 resources whatever n is, so that the CPU
			// cache misses of touching 100,000 resources do not blur what
			// is measured: the journal's own cost.
			hot := make([]*Resource, 100)
			for i := range hot {
				hot[i] = s.Resources[addrs.Resource{Type: "vnode", Name: "n", Key: addrs.IntKey(i)}]
			}
			for i := 0; b.Loop(); i++ {
				if err := j.Put(hot[i%len(hot)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
