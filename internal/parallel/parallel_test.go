package parallel

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestRangesCoverEverythingOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 10001} {
		seen := make([]int32, n)
		Ranges(n, 3, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: item %d visited %d times", n, i, c)
			}
		}
	}
}

func TestOrderedKeepsOrderAndStopsOnError(t *testing.T) {
	var got []int
	err := Ordered(1000, 7, func(lo, hi int) ([]int, error) {
		out := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			out = append(out, i)
		}
		return out, nil
	}, func(part []int) error {
		got = append(got, part...)
		return nil
	})
	if err != nil || len(got) != 1000 {
		t.Fatalf("got %d items, err %v", len(got), err)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("item %d is %d: out of order", i, v)
		}
	}

	var started atomic.Int32
	err = Ordered(1000, 10, func(lo, hi int) (int, error) {
		started.Add(1)
		if lo == 50 {
			return 0, errTest
		}
		return lo, nil
	}, func(int) error { return nil })
	if err != errTest {
		t.Fatalf("want the producer's error, got %v", err)
	}
	if n := started.Load(); n == 100 {
		t.Error("after an error, no new chunks should start")
	}
}

var errTest = errors.New("test")
