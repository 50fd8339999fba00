// Command findcollision finds two node names whose interface "e0" gets
// one host device name in experiment "t" under run root /run/b (the
// lower package's tests), by Brent's cycle finding over the 50 hashed
// bits of contract.DeviceName, and prints them: about 2^25 hashes.
//
//	go run ./lower/testdata/findcollision > lower/testdata/collision.txt
package main

import (
	"fmt"

	"github.com/benito-net/benito/contract"
)

const runDir = "/run/b/t"

// name is the node whose device name's hash is x.
func name(x string) string { return "n" + x }

func f(x string) string {
	d := contract.DeviceName(runDir, contract.DeviceOfVNode, name(x), "e0")
	return d[len(d)-10:]
}

func main() {
	x0 := "aaaaaaaaaa"
	// Brent: find the cycle's length lam.
	power, lam := 1, 1
	tortoise, hare := x0, f(x0)
	for tortoise != hare {
		if power == lam {
			tortoise, power, lam = hare, power*2, 0
		}
		hare = f(hare)
		lam++
	}
	// Find the cycle's start: the first x with f(x) seen twice.
	tortoise, hare = x0, x0
	for i := 0; i < lam; i++ {
		hare = f(hare)
	}
	if tortoise == hare {
		panic("x0 is on the cycle; pick another")
	}
	for f(tortoise) != f(hare) {
		tortoise, hare = f(tortoise), f(hare)
	}
	fmt.Println(name(tortoise), name(hare))
}
