package hcl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/benito-net/benito/internal/suggest"
	"github.com/benito-net/benito/model"
)

var variableSchema = variableSpec.schema()

// variable is a declared input variable and the value it ends up with.
type variable struct {
	block       *block
	ty          cty.Type // cty.DynamicPseudoType when the block sets no type
	defaults    *typeexpr.Defaults
	def         cty.Value // cty.NilVal when there is no default
	badDefault  bool      // the default is there but failed, and said so
	description string
	sensitive   bool
	value       cty.Value // cty.NilVal until a value is known to be good
}

func (v *variable) name() string { return v.block.name }

// literal reports whether values given as text (-var, the environment) are
// taken as they are rather than parsed as expressions: Terraform's rule,
// so that -var 'name=a b' needs no inner quotes.
func (v *variable) literal() bool {
	return v.ty == cty.String || v.ty == cty.DynamicPseudoType
}

// given is one value given from outside the configuration.
type given struct {
	raw    string    // text from -var or the environment
	val    cty.Value // value from a -var-file, when raw is unused
	isRaw  bool
	source string    // for messages: `-var "n=3"`, `BENITO_VAR_n`, `file vars.hcl`
	rng    hcl.Range // the value in a -var-file
}

// varValues carries what variableValues made beyond the variables' values.
type varValues struct {
	// files are the texts of -var values parsed as expressions, so that
	// diagnostics about them can show their source.
	files map[string]*hcl.File
}

// variableValues decodes the variable blocks and gives each variable its
// value: its default, overridden by BENITO_VAR_NAME, then by each -var-file
// in order, then by each -var in order.
func variableValues(parser *hclparse.Parser, d *decls, opts Options) (varValues, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := varValues{files: map[string]*hcl.File{}}
	byName := map[string]*variable{}
	var names []string
	for _, v := range d.variables {
		byName[v.name()] = v
		names = append(names, v.name())
		diags = append(diags, v.decode()...)
	}

	givens := map[string]given{}
	for _, kv := range opts.Environ {
		if !strings.HasPrefix(kv, envPrefix) {
			continue
		}
		name, raw, ok := strings.Cut(kv[len(envPrefix):], "=")
		// Other projects' settings may linger in the environment: an
		// unknown name is not an error here, unlike with -var.
		if !ok || byName[name] == nil {
			continue
		}
		givens[name] = given{raw: raw, isRaw: true, source: envPrefix + name}
	}

	for _, path := range opts.VarFiles {
		f, fdiags := parser.ParseHCLFile(path)
		diags = append(diags, fdiags...)
		if f == nil || fdiags.HasErrors() {
			continue
		}
		attrs, adiags := f.Body.JustAttributes()
		diags = append(diags, adiags...)
		for _, a := range sortedAttrs(attrs) {
			val, vdiags := a.Expr.Value(nil)
			diags = append(diags, vdiags...)
			if vdiags.HasErrors() {
				continue
			}
			if byName[a.Name] == nil {
				// Terraform warns here too: a shared variable file may
				// carry values for several configurations.
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  fmt.Sprintf("Value for undeclared variable %q", a.Name),
					Detail: fmt.Sprintf("The file %s sets %q, but the configuration declares no such variable%s. The value is ignored.",
						path, a.Name, suggestion(a.Name, names)),
					Subject: a.NameRange.Ptr(),
				})
				continue
			}
			givens[a.Name] = given{val: val, source: "file " + path, rng: a.Expr.Range()}
		}
	}

	for _, s := range opts.Vars {
		name, raw, ok := strings.Cut(s, "=")
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid -var option",
				Detail:   fmt.Sprintf("The option -var %q has no \"=\". Write it as -var 'NAME=VALUE'.", s),
			})
			continue
		}
		if byName[name] == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Value for undeclared variable %q", name),
				Detail: fmt.Sprintf("The option -var %q sets %q, but the configuration declares no such variable%s. "+
					"Declare it with a variable %q {} block, or fix the name.", s, name, suggestion(name, names), name),
			})
			continue
		}
		source := fmt.Sprintf("-var %q", s)
		if byName[name].sensitive {
			source = fmt.Sprintf("-var %q", name+"=(sensitive value)")
		}
		givens[name] = given{raw: raw, isRaw: true, source: source}
	}

	for _, v := range d.variables {
		g, ok := givens[v.name()]
		if !ok {
			if v.badDefault {
				continue
			}
			if v.def == cty.NilVal {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("No value for required variable %q", v.name()),
					Detail: fmt.Sprintf("The variable %q has no default, so it needs a value: give one with -var '%s=VALUE', "+
						"in a file passed with -var-file, or in the environment variable %s%s; or give the variable a default.",
						v.name(), v.name(), envPrefix, v.name()),
					Subject: v.block.def.Ptr(),
				})
				continue
			}
			v.value = v.def
			continue
		}
		val := g.val
		if g.isRaw {
			if v.literal() {
				val = cty.StringVal(g.raw)
			} else {
				filename := fmt.Sprintf("<value for var.%s>", v.name())
				expr, pdiags := hclsyntax.ParseExpression([]byte(g.raw), filename, hcl.InitialPos)
				if !v.sensitive {
					// A secret's text is not shown under a diagnostic.
					out.files[filename] = &hcl.File{Bytes: []byte(g.raw)}
				}
				if !pdiags.HasErrors() {
					var vdiags hcl.Diagnostics
					val, vdiags = expr.Value(nil)
					pdiags = append(pdiags, vdiags...)
				}
				if pdiags.HasErrors() {
					for _, pd := range pdiags {
						pd.Detail = fmt.Sprintf("%s This is the value given by %s, read as an HCL expression because the "+
							"variable's type is %s.", pd.Detail, g.source, typeexpr.TypeString(v.ty))
					}
					diags = append(diags, pdiags...)
					continue
				}
			}
		}
		conv, err := v.convert(val)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Invalid value for variable %q", v.name()),
				Detail: fmt.Sprintf("The value from %s does not fit the variable's type %s: %s. Give a value of that type.",
					g.source, typeexpr.TypeString(v.ty), err),
				Subject: v.block.def.Ptr(),
			})
			continue
		}
		v.value = conv
	}
	for _, v := range d.variables {
		if v.value != cty.NilVal {
			v.block.value = v.value
			if v.sensitive {
				// cty carries the mark into every value computed from it.
				v.block.value = v.value.Mark(model.Sensitive)
			}
		} else {
			v.block.failed = true
		}
	}
	return out, diags
}

// decode reads a variable block: type, default, description, sensitive.
func (v *variable) decode() hcl.Diagnostics {
	v.ty = cty.DynamicPseudoType
	content, diags := v.block.body.Content(variableSchema)
	if a := content.Attributes["type"]; a != nil {
		ty, defaults, tdiags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		diags = append(diags, tdiags...)
		if !tdiags.HasErrors() {
			v.ty, v.defaults = ty, defaults
		}
	}
	if a := content.Attributes["description"]; a != nil {
		val, ddiags := a.Expr.Value(nil)
		diags = append(diags, ddiags...)
		if s, err := convert.Convert(val, cty.String); err == nil && !s.IsNull() && s.IsKnown() {
			v.description = s.AsString()
		}
	}
	if a := content.Attributes["sensitive"]; a != nil {
		val, sdiags := a.Expr.Value(nil)
		diags = append(diags, sdiags...)
		if b, err := convert.Convert(val, cty.Bool); !sdiags.HasErrors() && (err != nil || b.IsNull() || !b.IsKnown()) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid sensitive",
				Detail:   fmt.Sprintf("sensitive must be true or false, not %s.", show(val)),
				Subject:  a.Expr.Range().Ptr(),
			})
		} else if err == nil && b.IsKnown() && !b.IsNull() {
			v.sensitive = b.True()
		}
	}
	if a := content.Attributes["default"]; a != nil {
		// No context: a default is a constant, and HCL says so when it is not.
		val, ddiags := a.Expr.Value(nil)
		diags = append(diags, ddiags...)
		v.badDefault = ddiags.HasErrors()
		if !ddiags.HasErrors() {
			conv, err := v.convert(val)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  fmt.Sprintf("Invalid default for variable %q", v.name()),
					Detail:   fmt.Sprintf("The default does not fit the variable's type %s: %s.", typeexpr.TypeString(v.ty), err),
					Subject:  a.Expr.Range().Ptr(),
				})
				v.badDefault = true
			} else {
				v.def = conv
			}
		}
	}
	return diags
}

func (v *variable) convert(val cty.Value) (cty.Value, error) {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	conv, err := convert.Convert(val, v.ty)
	if err != nil {
		return cty.NilVal, err
	}
	return conv, nil
}

// suggestion returns ` (did you mean "x"?)` for the nearest of names, or "".
func suggestion(given string, names []string) string {
	if s := suggest.Nearest(given, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// secrets returns the text of every string and number inside the values
// of the sensitive variables (Config.Secrets).
func secrets(vars []*variable) []string {
	seen := map[string]bool{}
	for _, v := range vars {
		if !v.sensitive || v.value == cty.NilVal {
			continue
		}
		cty.Walk(v.value, func(_ cty.Path, x cty.Value) (bool, error) {
			if x.IsNull() || !x.IsKnown() {
				return true, nil
			}
			var s string
			switch x.Type() {
			case cty.String:
				s = x.AsString()
			case cty.Number:
				s = x.AsBigFloat().Text('f', -1)
			}
			if len(s) >= MinSecret {
				seen[s] = true
			}
			return true, nil
		})
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	// Longest first, so that a secret inside another is not masked first.
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return out
}
