"""The layer kinds, one module each (see `base.QLayer` for what a kind provides, and
`registry` for the list the compiler dispatches on)."""
