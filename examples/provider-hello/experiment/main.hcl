# An experiment that uses the example third-party provider "hello".
# See ../README.md: build the provider onto the plugin path, then
# benito init, plan, apply and destroy in this directory.

variable "dir" {
  description = "where the greeting files go"
  default     = "/tmp/benito-hello"
}

experiment "hello" {
  required_providers {
    hello = { source = "example.org/benito/hello", version = ">= 0.1" }
  }
}

resource "hello_greeting" "world" {
  path = "${var.dir}-world.txt"
  name = "world"
}

resource "hello_greeting" "friends" {
  for_each = toset(["ada", "grace"])
  path     = "${var.dir}-${each.key}.txt"
  name     = each.key
  greeting = "Ciao"
}
