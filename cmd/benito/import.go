package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/benito-net/benito/addrs"
	benitohcl "github.com/benito-net/benito/hcl"
	"github.com/benito-net/benito/internal/atomicfile"
	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/topdl"
)

func (c *cli) importCommand() *cobra.Command {
	var f expFlags
	var dir string
	cmd := &cobra.Command{
		Use:   "import ADDRESS ID",
		Short: "Adopt an existing object into the state; import DETER files (topdl, site)",
		Long: `benito import ADDRESS ID adopts an object that exists on the host already
(a bridge made by hand, say) as the resource ADDRESS of the configuration:
the resource's provider reads the object that ID names (for hostnet: a
device name, or a VDE switch's control directory) and benito records it in
the state, under the state lock. Nothing on the host changes; the next
benito plan shows how the object differs from the configuration, and from
then on benito manages it (destroy removes it). ADDRESS must be declared in
the configuration, and not be in the state already.

benito import topdl and benito import site turn DETER's files into
benito's: a TopDL experiment into an experiment directory of HCL, a
site.conf into a site block. (An ADDRESS always has a dot, TYPE.NAME, so
the two forms never meet.) benito plan and apply also read a TopDL .xml file
placed directly in the experiment directory; importing gives HCL to edit
instead.`,
		Example: `  benito import -C myexp bridge.ctl bctl0
  benito import topdl experiment.xml -o myexp
  benito import site /share/containers/site.conf -o myexp/site.hcl`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			if len(args) != 2 || !strings.Contains(args[0], ".") {
				var subs []string
				for _, sub := range cmd.Commands() {
					subs = append(subs, sub.Name())
				}
				if s := suggest.Nearest(args[0], subs); s != "" {
					return fmt.Errorf("benito import %s: did you mean benito import %s?", args[0], s)
				}
				return fmt.Errorf("benito import takes a resource address and the id of the object to adopt (benito import TYPE.NAME ID), or a subcommand (topdl, site)")
			}
			a, err := addrs.ParseResource(args[0])
			if err != nil {
				return err
			}
			w, err := c.openWith(c.options(dir, &f))
			if err != nil {
				return err
			}
			r, diags := w.Import(cmd.Context(), a, args[1])
			if err := c.printDiags(diags, w.Files()); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Imported %s from %q (provider %q). Run benito plan to see how it differs from the configuration.\n", r.Addr, args[1], r.Provider)
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "C", ".", "the experiment directory (for ADDRESS ID)")
	f.register(cmd.Flags(), true)
	cmd.AddCommand(c.importTopDLCommand(), c.importSiteCommand())
	return cmd
}

func (c *cli) importTopDLCommand() *cobra.Command {
	var outDir, name string
	var force bool
	cmd := &cobra.Command{
		Use:   "topdl FILE.xml",
		Short: "Write a TopDL experiment as HCL",
		Long: `Import topdl reads a TopDL file, as DETER's tools wrote them, and writes the
experiment as DIR/NAME.hcl (NAME: the file's name without .xml, or -name).
Substrates become switches, computers vnodes; what was mapped or dropped is
said in comments. Interfaces without addresses get addresses, one subnet per
link. See docs/topdl.md for the whole mapping.

Nothing is written when the file has errors, or when DIR/NAME.hcl exists
(unless -force).`,
		Example: `  benito import topdl experiment.xml -o myexp
  benito import topdl -name lab1 -force topology.xml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files := map[string]*hcl.File{path: {Bytes: src}}
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
			}
			if !addrs.ValidName(name) {
				return fmt.Errorf("%q is not a valid experiment name (letters, digits, '_' and '-'): give one with -name", name)
			}
			// Any node type: the file may use a third-party platform,
			// whose provider the imported experiment names afterwards in
			// required_providers (Read warns; validate checks it).
			t, diags := topdl.Read(path, src, topdl.Options{AnyType: true})
			var gen *topdl.HCL
			if t != nil {
				var gdiags hcl.Diagnostics
				gen, gdiags = topdl.ToHCL(t, topdl.HCLOptions{Name: name, Source: filepath.Base(path)})
				diags = append(diags, gdiags...)
			}
			if err := c.printDiags(diags, files); err != nil {
				fmt.Fprintf(c.stderr, "Nothing was written.\n")
				return err
			}
			out := filepath.Join(outDir, name+".hcl")
			if _, err := os.Stat(out); err == nil && !force {
				return fmt.Errorf("%s exists: remove it, or use -force to overwrite it", out)
			}
			// Check that what is written loads: a mapping bug must not
			// leave a broken experiment behind.
			if err := c.checkImported(gen, name); err != nil {
				return err
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			if err := atomicfile.Write(out, gen.Src, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Wrote %s: %d switches, %d vnodes.\n", out, len(t.Substrates), countCreated(t))
			return nil
		},
	}
	cmd.Flags().StringVarP(&outDir, "out", "o", ".", "the experiment directory to write into")
	cmd.Flags().StringVar(&name, "name", "", "the experiment's name (default: the file's name)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}

// checkImported loads the generated HCL in a scratch directory.
func (c *cli) checkImported(gen *topdl.HCL, name string) error {
	dir, err := os.MkdirTemp("", "benito-import-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, name+".hcl"), gen.Src, 0o644); err != nil {
		return err
	}
	cfg, diags := benitohcl.Load(dir, benitohcl.Options{})
	if diags.HasErrors() {
		_ = c.printDiags(diags, cfg.Files)
		return fmt.Errorf("the imported experiment does not load (a bug in the importer: please report it with the file); nothing was written")
	}
	return nil
}

func countCreated(t *topdl.Topology) int {
	n := 0
	for _, c := range t.Computers {
		if a, ok := topdl.Attr(c.Attributes, topdl.AttrNodeType); !ok || a.Value != topdl.TypeEmbeddedPnode {
			n++
		}
	}
	return n
}

func (c *cli) importSiteCommand() *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "site site.conf",
		Short: "Write a DETER site configuration as a site block",
		Long: `Import site reads DETER's site configuration (a Python ConfigParser file,
with %(exec_root)s interpolation) and writes it as a benito site block, to
FILE or to standard output. Keys with a meaning on one host become site
entries; the others are kept as comments, with a warning for each key benito
does not know or does not honour (switch_shaping, switched_containers: the
warning says what benito does instead). See docs/topdl.md.`,
		Example: `  benito import site /share/containers/site.conf -o myexp/site.hcl`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			text, diags := topdl.ImportSite(args[0], src)
			if err := c.printDiags(diags, map[string]*hcl.File{args[0]: {Bytes: src}}); err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err := c.stdout.Write(text)
				return err
			}
			if _, err := os.Stat(out); err == nil && !force {
				return fmt.Errorf("%s exists: remove it, or use -force to overwrite it", out)
			}
			if err := atomicfile.Write(out, text, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Wrote %s.\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "the file to write (default: standard output)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}
