"""One checker per mutation target (see `cosim.mutate.targets`)."""
