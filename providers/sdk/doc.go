// Package sdk is what a provider author imports to write a benito provider
// in plain Go.
//
// An author declares resource types with their attributes (sdk.String,
// sdk.Number, sdk.Bool, ListOf, MapOf, ObjectOf; Required, Optional,
// Computed, ForceNew, Default), implements Create, Read, Update and Delete
// on a ResourceData that gets and sets ordinary Go values (string, int64,
// float64, bool, []any, map[string]any), and calls Serve from main. cty,
// gRPC and the provider protocol stay inside benito. Import, when set,
// serves benito import; Exec, when set, serves benito exec for the
// resource type: it returns the host command that runs a command inside
// the resource, and the SDK runs it (streams, terminal, signals).
//
// What the package promises an author:
//   - Planning is done for them (providers.DefaultPlan): configured values
//     are taken as given, defaults fill unset optional attributes, computed
//     attributes left unset become "known after apply" on create and keep
//     their value otherwise, a change to a ForceNew attribute replaces the
//     resource. A resource without Update has every attribute ForceNew.
//     CustomizePlan, when set, may adjust the result.
//   - Create, Update and Delete are called once per change; Read after each
//     refresh. The values a callback sees are wholly known.
//   - An error a callback returns becomes a diagnostic naming the resource's
//     address (and the attribute, for an AttributeError); a panic is
//     recovered and reported the same way rather than killing the plugin.
//   - The ctx a callback gets is cancelled when the user interrupts benito
//     a second time (Stop).
//
// The package promises benito the contract of package providers: batched
// answers have one entry per request entry, Apply and Read return values
// that conform to the schema and hold no unknowns.
//
// Package sdktest drives a provider in process from an author's go test.
package sdk
