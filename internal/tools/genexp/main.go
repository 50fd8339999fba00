package main

import (
	"os"

	"github.com/benito-net/benito/internal/benchexp"
)

func main() { benchexp.Write(os.Args[1], 10000, os.Args[2]) }
