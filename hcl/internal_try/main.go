package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	bhcl "github.com/benito-net/benito/hcl"
)

func main() {
	cfg, diags := bhcl.Load(os.Args[1], bhcl.Options{Vars: os.Args[2:]})
	w := hcl.NewDiagnosticTextWriter(os.Stderr, cfg.Files, 100, false)
	w.WriteDiagnostics(diags)
	if cfg.Experiment != nil {
		b, _ := json.MarshalIndent(cfg.Experiment, "", " ")
		fmt.Println(string(b))
	}
	fmt.Println(cfg.Hash)
}
