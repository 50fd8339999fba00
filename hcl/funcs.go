package hcl

import (
	"fmt"
	"math/big"
	"net/netip"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/benito-net/benito/internal/netmask"
)

// functions are the functions expressions may call: go-cty's standard
// library under Terraform's names, and Terraform's cidr functions. There is
// deliberately nothing that reads files, the clock or the environment: a
// configuration's value must depend only on its files and variables, which
// is what Config.Hash covers.
func functions() map[string]function.Function {
	return map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"can":             tryfunc.CanFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"cidrhost":        cidrHostFunc,
		"cidrnetmask":     cidrNetmaskFunc,
		"cidrsubnet":      cidrSubnetFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"index":           stdlib.IndexFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          lengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"regexreplace":    stdlib.RegexReplaceFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strlen":          stdlib.StrlenFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"try":             tryfunc.TryFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
	}
}

// lengthFunc is Terraform's length: characters of a string, elements of a
// collection or structure. go-cty keeps the two apart.
var lengthFunc = function.New(&function.Spec{
	Description: "Returns the number of characters of a string, or of elements of a list, set, map, tuple or object.",
	Params: []function.Parameter{{
		Name:             "value",
		Type:             cty.DynamicPseudoType,
		AllowDynamicType: true,
	}},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		ty := v.Type()
		switch {
		case ty == cty.String:
			return stdlib.Strlen(v)
		case ty.IsObjectType():
			return cty.NumberIntVal(int64(len(ty.AttributeTypes()))), nil
		case ty.IsCollectionType() || ty.IsTupleType():
			return v.Length(), nil
		}
		return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "length needs a string, list, set, map, tuple or object, not %s", ty.FriendlyName())
	},
})

var cidrHostFunc = function.New(&function.Spec{
	Description: "Returns the address numbered hostnum in prefix; a negative number counts back from the last address.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "hostnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := cidrPrefix(args[0])
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(0, err)
		}
		num, err := wholeBig(args[1])
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(1, err)
		}
		hostBits := uint(p.Addr().BitLen() - p.Bits())
		size := new(big.Int).Lsh(big.NewInt(1), hostBits)
		if num.Sign() < 0 {
			num.Add(num, size)
		}
		if num.Sign() < 0 || num.Cmp(size) >= 0 {
			return cty.UnknownVal(cty.String), function.NewArgError(1,
				fmt.Errorf("prefix %s has %s addresses, so it holds no host numbered %s", p, size, args[1].AsBigFloat().Text('f', -1)))
		}
		return cty.StringVal(addrPlus(p.Addr(), num).String()), nil
	},
})

var cidrNetmaskFunc = function.New(&function.Spec{
	Description: "Returns the dotted netmask of an IPv4 prefix.",
	Params:      []function.Parameter{{Name: "prefix", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := cidrPrefix(args[0])
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(0, err)
		}
		if !p.Addr().Is4() {
			return cty.UnknownVal(cty.String), function.NewArgError(0, fmt.Errorf("only IPv4 prefixes have a dotted netmask"))
		}
		return cty.StringVal(netmask.Format(p.Bits())), nil
	},
})

var cidrSubnetFunc = function.New(&function.Spec{
	Description: "Returns subnet netnum of prefix, newbits longer than it.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "newbits", Type: cty.Number},
		{Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := cidrPrefix(args[0])
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(0, err)
		}
		newBits, err := wholeBig(args[1])
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(1, err)
		}
		if newBits.Sign() < 0 || !newBits.IsInt64() || p.Bits()+int(newBits.Int64()) > p.Addr().BitLen() {
			return cty.UnknownVal(cty.String), function.NewArgError(1,
				fmt.Errorf("prefix %s cannot be extended by %s bits: an address has only %d", p, newBits, p.Addr().BitLen()))
		}
		bitsLen := p.Bits() + int(newBits.Int64())
		num, err := wholeBig(args[2])
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgError(2, err)
		}
		count := new(big.Int).Lsh(big.NewInt(1), uint(newBits.Int64()))
		if num.Sign() < 0 || num.Cmp(count) >= 0 {
			return cty.UnknownVal(cty.String), function.NewArgError(2,
				fmt.Errorf("%s extended by %s bits has %s subnets, numbered from 0, so there is no subnet %s", p, newBits, count, num))
		}
		offset := new(big.Int).Lsh(num, uint(p.Addr().BitLen()-bitsLen))
		return cty.StringVal(netip.PrefixFrom(addrPlus(p.Addr(), offset), bitsLen).String()), nil
	},
})

// cidrPrefix parses a prefix argument and drops its host bits, as Terraform
// does ("10.0.0.5/24" is the network 10.0.0.0/24).
func cidrPrefix(v cty.Value) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(v.AsString())
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address prefix in CIDR notation, such as \"10.0.0.0/16\"", v.AsString())
	}
	return p.Masked(), nil
}

func wholeBig(v cty.Value) (*big.Int, error) {
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return nil, fmt.Errorf("%s is not a whole number", bf.Text('f', -1))
	}
	i, _ := bf.Int(nil)
	return i, nil
}

// addrPlus adds n to an address; the caller keeps the sum inside the prefix.
func addrPlus(a netip.Addr, n *big.Int) netip.Addr {
	sum := new(big.Int).SetBytes(a.AsSlice())
	sum.Add(sum, n)
	b := make([]byte, a.BitLen()/8)
	sum.FillBytes(b)
	out, _ := netip.AddrFromSlice(b)
	return out
}
